'use strict';
/**
 * Several threads in one node (issue 27): `wisp run --threads N` as a child process on bench/threads-project,
 * two independent echo pairs (a Lua client and its Lua echo server on one host each) and a driver on thread 1.
 * - threads_scaling_2: both pairs at once, round trips per second, on 2 threads over 1 thread (runs alternate,
 *   so that a shared machine's drift weighs on both alike; each figure is the median of its runs). Measured
 *   after a warm-up until the rate settles (driver.lua): each thread's V8 compiles Fengari's interpreter loop
 *   for itself, and on two cores the two compilations compete with the two threads' work; how long the warm-up
 *   took is reported as threads_warm_ms_1 / _2.
 * - cross_thread_echo_vs_local: in one 2-thread run, the driver's round trip to the echo server on thread 2
 *   over the one to the echo server on its own thread.
 * - thread_name_write_us / _t1: what a name write (register or unregister) costs a process of thread 2 / of
 *   thread 1 in a 2-thread run, against name_write_us_1_thread on one thread: a worker thread's write waits for
 *   thread 1's answer (src/cluster/spec.md "Names" under "Threads"), and thread 1's passes the change on to
 *   every thread.
 * The first two are CPU-bound on every thread they use: on a machine shared with other work they measure the share the
 * other work leaves, not the runtime. So the pairs runs also report CPU time per round trip (user + system of the
 * whole wisp process, all its threads, during the timed part alone, read from /proc): equal figures on 1 and 2
 * threads mean the threads cost nothing extra, whatever the wall clock says.
 */
const path = require('path');
const fs = require('fs');
const { spawn } = require('child_process');
const { median } = require('./harness');

const ROOT = path.join(__dirname, '..');
const WISP = path.join(ROOT, 'bin', 'wisp.js');
const PROJECT = path.join(__dirname, 'threads-project');
const ROUNDS = 5;
/** Round trips per pair in a timed pairs run. */
const PAIRS_N = 60000;
/** Registers (and as many unregisters) a name-writes run times. */
const NAME_WRITES = 2000;

/** The CPU seconds (user + system, all threads) process `pid` has used so far; NaN where /proc cannot tell. */
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ, 100 on Linux)
  } catch {
    return NaN;
  }
}

/**
 * One `wisp run --threads N -x app:terminal/app:driver mode n`: the numbers on its `mode:` line, how long its
 * warm-up took (`warm:` ms until the rate settled, while every thread's V8 compiles Fengari's interpreter loop;
 * driver.lua), and the CPU seconds the process used between the two lines (the measured part alone: the
 * driver prints `warm:` before it and waits a little after its result, so that /proc still holds the process).
 */
function drive(threads, mode, n) {
  const args = [WISP, 'run', '--threads', String(threads), '-x', 'app:terminal/app:driver', mode, String(n)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    let out = '';
    let err = '';
    let warmCpu = NaN;
    let result = null;
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      if (Number.isNaN(warmCpu) && /^warm: /m.test(out)) warmCpu = cpuSeconds(child.pid);
      const line = new RegExp(`^${mode}: (.*)$`, 'm').exec(out);
      if (line !== null && result === null) result = { numbers: line[1].split(' ').map(Number), cpu: cpuSeconds(child.pid) - warmCpu };
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      if (status !== 0 || result === null) return reject(new Error(`wisp run --threads ${threads} ${mode} failed (${status}):\n${out}\n${err}`));
      resolve({ ...result, warmMs: Number(/^warm: (.*)$/m.exec(out)[1]) });
    });
  });
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
    const warmOne = [];
    const warmTwo = [];
    const names = { t2: [], t1: [], one: [] };
    for (let i = 0; i < ROUNDS; i++) {
      const a = await drive(1, 'pairs', PAIRS_N);
      const b = await drive(2, 'pairs', PAIRS_N);
      one.push(a.numbers[0]);
      two.push(b.numbers[0]);
      cpuOne.push((a.cpu * 1e6) / (2 * PAIRS_N));
      cpuTwo.push((b.cpu * 1e6) / (2 * PAIRS_N));
      warmOne.push(a.warmMs);
      warmTwo.push(b.warmMs);
      const [toThread2, toThread1] = (await drive(2, 'rtt', 10000)).numbers;
      cross.push(toThread2);
      local.push(toThread1);
      const [t2, t1] = (await drive(2, 'names', NAME_WRITES)).numbers;
      names.t2.push(t2);
      names.t1.push(t1);
      names.one.push((await drive(1, 'names', NAME_WRITES)).numbers[0]);
    }
    return {
      threads_pairs_1_per_s: median(one),
      threads_pairs_2_per_s: median(two),
      threads_scaling_2: median(two) / median(one),
      threads_warm_ms_1: median(warmOne),
      threads_warm_ms_2: median(warmTwo),
      threads_pairs_cpu_us_1: median(cpuOne),
      threads_pairs_cpu_us_2: median(cpuTwo),
      cross_thread_echo_us: median(cross),
      same_thread_echo_us: median(local),
      cross_thread_echo_vs_local: median(cross) / median(local),
      thread_name_write_us: median(names.t2),
      thread_name_write_us_t1: median(names.t1),
      name_write_us_1_thread: median(names.one),
    };
  },
};
