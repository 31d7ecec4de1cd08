'use strict';
/**
 * The node's memory services across threads (src/cluster/shared.ts): `wisp run --threads N` as a child process
 * on bench/threads-store-project, one `store.memory` owned by thread 1.
 * - store_get_owner_us: a store get by a process on thread 1 (the owner: a direct call, as with one thread).
 * - store_get_other_thread_us: a store get by a process on thread 2 (a round trip to thread 1 through the proxy,
 *   the calling process blocked meanwhile); store_get_other_thread_vs_owner is the ratio, in the same run.
 * - store_get_one_thread_us: the same get with --threads 1 (no proxy anywhere), for "one thread pays nothing".
 * Each figure is the best of the driver's alternating blocks, the median over ROUNDS runs.
 */
const path = require('path');
const { spawn } = require('child_process');
const { median } = require('./harness');

const WISP = path.join(__dirname, '..', 'bin', 'wisp.js');
const PROJECT = path.join(__dirname, 'threads-store-project');
const ROUNDS = 3;
const GETS = 2000;

function drive(threads) {
  const args = [WISP, 'run', '--threads', String(threads), '-x', 'app:driver', String(GETS)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (status) => {
      clearTimeout(timer);
      const line = /^store: (\S+) (\S+)/m.exec(out);
      if (status !== 0 || line === null) return reject(new Error(`wisp run --threads ${threads} failed (${status}):\n${out}\n${err}`));
      resolve([Number(line[1]), Number(line[2])]);
    });
  });
}

module.exports = {
  targets: {},
  async run() {
    const owner = [];
    const other = [];
    const one = [];
    for (let i = 0; i < ROUNDS; i++) {
      one.push((await drive(1))[0]);
      const [here, there] = await drive(2);
      owner.push(here);
      other.push(there);
    }
    return {
      store_get_one_thread_us: median(one),
      store_get_owner_us: median(owner),
      store_get_other_thread_us: median(other),
      store_get_other_thread_vs_owner: median(other) / median(owner),
    };
  },
};
