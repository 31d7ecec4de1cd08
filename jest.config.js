/**
 * Two projects: the whole suite, and the tests that run `wisp run` again with every node on two threads (`WISP_THREADS=2`,
 * src/cluster/spec.md "Threads"), so that a difference between one thread and several shows as a failure.
 */
const fs = require('fs');
const path = require('path');

const project = require('./jest.project');

function testFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? testFiles(p) : d.name.endsWith('.test.ts') ? [p] : [];
  });
}

/**
 * The files run again on two threads: those that run the CLI (helpers/cli) or honour WISP_THREADS themselves
 * (helpers/threads); not those about threads (they choose their threads), the cluster's (nodes over NATS;
 * test/cluster/threads-cluster.test.ts runs nodes of two threads) nor the installed package's (npm's part).
 */
const runsWisp = (text) => /helpers\/(cli|threads)'|from '.\/fixture'/.test(text);
const aboutThreads = (file) => /thread|placement/.test(path.basename(file));
const twoThreads = testFiles(path.join(__dirname, 'test'))
  .filter((file) => !/[/\\]test[/\\](cluster|package)[/\\]/.test(file) && !aboutThreads(file) && runsWisp(fs.readFileSync(file, 'utf8')))
  .map((file) => `<rootDir>/${path.relative(__dirname, file).split(path.sep).join('/')}`);

module.exports = {
  testTimeout: 20000,
  projects: [
    { ...project, displayName: 'one thread' },
    { ...project, displayName: 'two threads', testMatch: twoThreads, setupFiles: ['<rootDir>/test/helpers/two-threads.js'] },
  ],
};
