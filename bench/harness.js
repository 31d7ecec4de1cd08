'use strict';
/** Shared benchmark plumbing: medians, awaiting a quiet scheduler, the results table and JSON. */
const fs = require('fs');
const path = require('path');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Resolves once the VM's run queue is empty (every process is blocked or done). */
function settled(vm) {
  return new Promise((resolve) => {
    const check = () => (vm.sched.queued === 0 ? resolve() : setImmediate(check));
    setImmediate(check);
  });
}

function heapUsed() {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed;
}

/** Runs `measure` `rounds` times and keeps the median. */
async function medianOf(rounds, measure) {
  const values = [];
  for (let i = 0; i < rounds; i++) values.push(await measure(i));
  return median(values);
}

function report(results, targets) {
  const rows = Object.entries(results).map(([metric, value]) => {
    const t = targets[metric];
    const verdict = t === undefined ? '' : (t.max !== undefined ? value <= t.max : value >= t.min) ? 'ok' : 'MISSED';
    const target = t === undefined ? '' : t.max !== undefined ? `<= ${t.max}` : `>= ${t.min}`;
    return { metric, value: Number(value.toFixed(value < 100 ? 2 : 0)), target, verdict };
  });
  console.table(rows);
  const file = path.join(__dirname, 'results.json');
  let previous = {};
  try {
    previous = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {}
  fs.writeFileSync(file, JSON.stringify({ ...previous, ...results }, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

module.exports = { median, settled, heapUsed, medianOf, report };
