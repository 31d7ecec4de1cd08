'use strict';
/**
 * Expressions and templates (issue 25): `template_render_per_s` renders a 20-line page with a loop of 50 rows
 * (set:render from Lua, data conversion included); `expr_eval_per_s` evaluates a cached expression with a small
 * environment (expr.eval from Lua). Each is also given in yield round trips measured next to it.
 */
const path = require('path');
const { loadProject } = require('../dist/registry');
const { Runtime } = require('../dist/hosts/runtime');
const { SILENT } = require('../dist/modules/logger');
const { pairedWithYield } = require('./harness');

/** µs per operation of `entry` run with n operations, on a booted runtime. */
function runner(rt, entry, n, check) {
  return async () => {
    const t0 = performance.now();
    const r = rt.node.spawn({ entry, host: 'bench:processes', args: [n], parent: null, monitor: false, link: false });
    if (!r.ok) throw new Error(r.error.message);
    const outcome = await new Promise((resolve) => rt.node.onExit(r.value, resolve));
    if (outcome.error) throw new Error(outcome.error.message);
    check(outcome.value);
    return ((performance.now() - t0) * 1000) / n;
  };
}

module.exports = {
  targets: {},
  async run() {
    const rt = new Runtime(loadProject(path.join(__dirname, 'lang-project')), { logs: SILENT, terminal: null });
    await rt.boot();
    const render = runner(rt, 'bench:renderer', 500, (size) => {
      if (typeof size !== 'number' || size < 2000) throw new Error(`unexpected page size ${size}`);
    });
    const evaluate = runner(rt, 'bench:evaluator', 20000, (v) => {
      if (v !== 'big') throw new Error(`unexpected result ${v}`);
    });
    await render();
    await evaluate();
    const t = await pairedWithYield(5, render);
    const e = await pairedWithYield(5, evaluate);
    await rt.shutdown();
    return {
      template_render_per_s: 1e6 / t.us,
      template_render_in_yields: t.inYields,
      expr_eval_per_s: 1e6 / e.us,
      expr_eval_in_yields: e.inYields,
    };
  },
};
