'use strict';
/**
 * Several threads in one node (issue 27): `wisp run --threads N` as a child process on bench/threads-project,
 * two independent echo pairs (a Lua client and its Lua echo server on one host each) and a driver on thread 1.
 * - threads_scaling_2: both pairs at once, round trips per second, on 2 threads over 1 thread (runs alternate,
 *   so that a shared machine's drift weighs on both alike; each figure is the median of its runs).
 * - cross_thread_echo_vs_local: in one 2-thread run, the driver's round trip to the echo server on thread 2
 *   over the one to the echo server on its own thread.
 * Both are CPU-bound on every thread they use: on a machine shared with other work they measure the share the
 * other work leaves, not the runtime. So the pairs runs also report CPU time per round trip (user + system of the
 * whole wisp process, less that of a run with one round trip: the boot), read through /usr/bin/time: equal
 * figures on 1 and 2 threads mean the threads cost nothing extra, whatever the wall clock says.
 */
const path = require('path');
const fs = require('fs');
const { spawnSync } = require('child_process');
const { median } = require('./harness');

const ROOT = path.join(__dirname, '..');
const WISP = path.join(ROOT, 'bin', 'wisp.js');
const PROJECT = path.join(__dirname, 'threads-project');
const ROUNDS = 5;

const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/**
 * One `wisp run --threads N -x app:terminal/app:driver mode n`: the numbers on its `mode:` line, then the CPU
 * seconds the process used (NaN without /usr/bin/time).
 */
function drive(threads, mode, n) {
  const args = [WISP, 'run', '--threads', String(threads), '-x', 'app:terminal/app:driver', mode, String(n)];
  const r = spawnSync(TIME ?? process.execPath, TIME === null ? args : ['-f', 'cpu %U %S', process.execPath, ...args], {
    cwd: PROJECT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const line = new RegExp(`^${mode}: (.*)$`, 'm').exec(r.stdout ?? '');
  if (r.status !== 0 || line === null) throw new Error(`wisp run --threads ${threads} ${mode} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const cpu = /^cpu ([\d.]+) ([\d.]+)$/m.exec(r.stderr ?? '');
  return [...line[1].split(' ').map(Number), cpu === null ? NaN : Number(cpu[1]) + Number(cpu[2])];
}

/** CPU µs per round trip of a pairs run of `n` round trips per pair, less the boot's. */
function cpuPerRoundTrip(threads, n) {
  const [perS, cpu] = drive(threads, 'pairs', n);
  const boot = drive(threads, 'pairs', 1)[1];
  return { perS, cpuUs: ((cpu - boot) * 1e6) / (2 * n) };
}

module.exports = {
  targets: { threads_scaling_2: { min: 1.6 }, cross_thread_echo_vs_local: { max: 4 } },
  async run() {
    const one = [];
    const two = [];
    const cross = [];
    const local = [];
    const cpuOne = [];
    const cpuTwo = [];
    for (let i = 0; i < ROUNDS; i++) {
      const a = cpuPerRoundTrip(1, 40000);
      const b = cpuPerRoundTrip(2, 40000);
      one.push(a.perS);
      two.push(b.perS);
      cpuOne.push(a.cpuUs);
      cpuTwo.push(b.cpuUs);
      const [toThread2, toThread1] = drive(2, 'rtt', 10000);
      cross.push(toThread2);
      local.push(toThread1);
    }
    return {
      threads_pairs_1_per_s: median(one),
      threads_pairs_2_per_s: median(two),
      threads_scaling_2: median(two) / median(one),
      threads_pairs_cpu_us_1: median(cpuOne),
      threads_pairs_cpu_us_2: median(cpuTwo),
      cross_thread_echo_us: median(cross),
      same_thread_echo_us: median(local),
      cross_thread_echo_vs_local: median(cross) / median(local),
    };
  },
};
