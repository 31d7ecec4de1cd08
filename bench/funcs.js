'use strict';
/** funcs benchmark (issue 10): a `funcs.call` round trip to a trivial function.lua, from a Lua caller. */
const path = require('path');
const { loadProject } = require('../dist/registry');
const { Runtime } = require('../dist/hosts/runtime');
const { SILENT } = require('../dist/modules/logger');
const { medianOf } = require('./harness');

async function callsPerSecond() {
  const rt = new Runtime(loadProject(path.join(__dirname, 'funcs-project')), { logs: SILENT, terminal: null });
  rt.boot();
  const run = async (n) => {
    const t0 = performance.now();
    const r = rt.node.spawn({ entry: 'bench:caller', host: 'bench:processes', args: [n], parent: null, monitor: false, link: false });
    if (!r.ok) throw new Error(r.error.message);
    const outcome = await new Promise((resolve) => rt.node.onExit(r.value, resolve));
    if (outcome.error) throw new Error(outcome.error.message);
    return n / ((performance.now() - t0) / 1000);
  };
  await run(2000);
  const perS = await medianOf(5, () => run(10000));
  await rt.shutdown();
  return perS;
}

module.exports = {
  targets: {},
  async run() {
    return { funcs_call_per_s: await callsPerSecond() };
  },
};
