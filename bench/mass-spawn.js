'use strict';
/**
 * The mass-spawn example (fixtures/examples/mass-spawn, after Wippy's examples/18-mass-spawn) as a user runs
 * it: `wisp run` with 10,000 long-lived workers, each beating on a 500 ms - 3 s ticker (~7000 beats a second).
 * Measures the time to spawn them, the beats the service takes in per second, and the peak RSS of the wisp
 * process (VmHWM) after 10 s, then stops it with SIGINT.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const SIZE = 10000;

function logged(text, message) {
  return text
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((c) => c[2] === message && c.length >= 4)
    .map((c) => JSON.parse(c[3]));
}

const peakRssMb = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

function massSpawn() {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, FLEET_SIZE: String(SIZE), BEAT_MIN: '500ms', BEAT_MAX: '3s', REPORT_EVERY: '1s' };
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'wisp.js'), 'run'], {
      cwd: path.join(ROOT, 'fixtures', 'examples', 'mass-spawn'),
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const fail = (why) => {
      child.kill('SIGKILL');
      reject(new Error(`mass spawn: ${why}\n${err.slice(-2000)}`));
    };
    const started = Date.now();
    const poll = setInterval(() => {
      const up = logged(err, 'fleet up')[0];
      if (Date.now() - started > 120000) return fail('no fleet up within 120 s');
      if (up === undefined) return;
      const reports = logged(err, 'report');
      if (reports.length < 10) return; // 10 s of steady state
      clearInterval(poll);
      const rss = peakRssMb(child.pid);
      const first = reports[1];
      const last = reports[reports.length - 1];
      if (last.alive !== SIZE || last.failed !== 0) return fail(`workers lost: ${JSON.stringify(last)}`);
      const beatsPerS = (last.beats - first.beats) / (reports.length - 2);
      const stopAt = Date.now();
      child.kill('SIGINT');
      child.on('close', (code) => {
        if (code !== 0) return reject(new Error(`mass spawn: exit ${code}\n${err.slice(-2000)}`));
        resolve({
          mass_spawn_10k_spawn_s: up.spawn_s,
          mass_spawn_10k_beats_per_s: beatsPerS,
          mass_spawn_10k_peak_rss_mb: rss,
          mass_spawn_10k_stop_ms: Date.now() - stopAt,
        });
      });
    }, 200);
  });
}

module.exports = {
  targets: {
    mass_spawn_10k_spawn_s: { max: 2 },
    // the workers beat ~7170 times a second in all (10,000 x the mean of 1/period over 0.5-3 s)
    mass_spawn_10k_beats_per_s: { min: 6500 },
    mass_spawn_10k_peak_rss_mb: { max: 600 },
  },
  async run() {
    return massSpawn();
  },
};
