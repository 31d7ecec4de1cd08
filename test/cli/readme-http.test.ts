/** The README's "Serve HTTP" section, run as written (on a free port) and asked with curl. */
import { execFile } from 'child_process';
import { promisify } from 'util';
import { readmeSectionFiles, sleep, startWisp, writeProject } from '../helpers/cli';
import { freePort } from '../helpers/net';

const run = promisify(execFile);

test('the hello endpoint answers curl as the README says', async () => {
  const files = readmeSectionFiles('Serve HTTP');
  expect(Object.keys(files).sort()).toEqual(['_index.yaml', 'hello.lua']);
  const port = await freePort();
  files['_index.yaml'] = files['_index.yaml'].replace('127.0.0.1:8080', `127.0.0.1:${port}`);
  const w = startWisp(['run'], writeProject(files));
  try {
    const end = Date.now() + 20000;
    while (!w.err().includes('service listening on') && Date.now() < end) await sleep(100);
    const { stdout } = await run('curl', ['-s', `localhost:${port}/hello/ada`]);
    expect(stdout).toBe('{"message":"hello ada"}');
    const { stdout: cors } = await run('curl', ['-s', '-D', '-', '-o', '/dev/null', '-H', 'Origin: http://localhost:3000', `localhost:${port}/hello/ada`]);
    expect(cors).toMatch(/Access-Control-Allow-Origin: http:\/\/localhost:3000/);
    w.child.kill('SIGINT');
    expect(await w.exited).toBe(0);
  } finally {
    if (w.running()) w.child.kill('SIGKILL');
  }
}, 40000);
