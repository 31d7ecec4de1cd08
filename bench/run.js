'use strict';
/** `npm run bench`: runs every benchmark suite, prints a table, writes bench/results.json (metric → median). */
require('v8').setFlagsFromString('--no-sparkplug');
const { report } = require('./harness');
const ratios = require('./ratios');

const all = {
  engine: './engine',
  kernel: './kernel',
  funcs: './funcs',
  sql: './sql',
  data: './data',
  events: './events',
  'mass-spawn': './mass-spawn',
  vm: './vm',
  floor: './floor',
  cluster: './cluster',
  lang: './lang',
  'http-client': './http-client',
  'http-server': './http-server',
  io: './io',
  security: './security',
  threads: './threads',
  'threads-store': './threads-store',
};
// `node --expose-gc bench/run.js kernel vm` runs only those suites (results.json keeps the other figures).
const chosen = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(all);
const suites = chosen.map((name) => require(all[name] ?? `./${name}`));

(async () => {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc (npm run bench does)');
  const results = {};
  const targets = {};
  for (const suite of suites) {
    Object.assign(results, await suite.run(results)); // a suite may set targets from earlier figures
    Object.assign(targets, suite.targets);
  }
  Object.assign(results, ratios.derive(results));
  Object.assign(targets, ratios.targets);
  report(results, targets);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
