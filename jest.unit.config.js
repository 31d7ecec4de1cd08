/**
 * The unit tier (`npm run test:unit`): the tests that run in this process only. A test file that starts other
 * processes (the CLI, nats-server, a browser, a database server) or soaks belongs to the whole suite alone;
 * which files those are is read from what they import, so a new one cannot slip into the fast tier.
 */
const fs = require('fs');
const path = require('path');
const project = require('./jest.project');
const { testTimeout } = require('./jest.config');

/** Imports that start another process, and file names of long runs. */
/** (A fixture with an exec.native entry runs host commands.) */
const SLOW = [/helpers\/(cli|nats|cluster|live|terminal|postgres|browser|server)'/, /from '(node:)?child_process'/, /playwright-core/, /soak/, /exec\.native/];

function testFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? testFiles(p) : d.name.endsWith('.test.ts') ? [p] : [];
  });
}

const slow = testFiles(path.join(__dirname, 'test')).filter((file) => SLOW.some((re) => re.test(fs.readFileSync(file, 'utf8')) || re.test(file)));

module.exports = {
  ...project,
  testTimeout,
  testPathIgnorePatterns: ['/node_modules/', ...slow.map((f) => `^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)],
};
