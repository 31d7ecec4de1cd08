'use strict';
/** `npm run bench`: runs every benchmark suite, prints a table, writes bench/results.json (metric → median). */
require('v8').setFlagsFromString('--no-sparkplug');
const { report } = require('./harness');

const suites = [require('./engine'), require('./kernel'), require('./funcs'), require('./events'), require('./mass-spawn')];

(async () => {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc (npm run bench does)');
  const results = {};
  const targets = {};
  for (const suite of suites) {
    Object.assign(results, await suite.run());
    Object.assign(targets, suite.targets);
  }
  report(results, targets);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
