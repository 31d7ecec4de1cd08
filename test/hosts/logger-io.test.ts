import { join } from 'path';
import { loadProject } from '../../src/registry';
import { Runtime } from '../../src/hosts/runtime';
import { FIXTURES } from '../helpers/lua';
import { StdioTerminal } from '../../src/hosts/terminal';
import { PassThrough } from 'stream';
import type { LogRecord } from '../../src/api/logging';
import { valueToPlain } from '../../src/engine/plain';

test('logger records carry pid and location; with() and named() children; print logs at INFO; io reads', async () => {
  const records: LogRecord[] = [];
  // The real stdio terminal, on in-memory streams.
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d: Buffer) => (shown += d.toString()));
  const terminal = new StdioTerminal([], input, output, output);
  const rt = new Runtime(loadProject(join(FIXTURES, 'logging')), {
    logs: { enabled: () => true, write: (r) => records.push(r) },
    terminal,
  });
  rt.boot();
  const outcome = rt.exec('log:main', 'log:terminal', []);
  while (!shown.includes('chunk? ')) await new Promise((resolve) => setTimeout(resolve, 5));
  input.end('abcdef\n');
  const r = await outcome;
  expect(r.error).toBeNull();
  const pid = records.find((x) => x.message === 'plain')?.fields.pid as string;
  expect(pid).toMatch(/^\{log:terminal\|0x[0-9a-f]{5}\}$/);
  expect(records.filter((x) => x.logger !== 'runtime').map((x) => [x.level, x.logger, x.message, x.fields])).toEqual([
    ['info', null, 'plain', { pid, location: 'log:main:6' }],
    ['warn', null, 'with fields', { pid, location: 'log:main:7', count: 3, nested: { a: 1 }, list: ['x', 'y'] }],
    ['error', null, 'child error', { pid, location: 'log:main:9', request: 'r1', code: 7 }],
    ['debug', 'db.pool', 'named debug', { pid, location: 'log:main:11', request: 'r1' }],
    ['info', null, 'printed 1 nil true', { pid, location: 'log:main:12' }],
  ]);
  // io.read(4) takes the first 4 characters of the input; readline the rest of that line; then end of input.
  expect(valueToPlain(r.value)).toEqual({ empty_name: 'name cannot be empty', chunk: 'abcd', line: 'ef', eof: [true, 'EOF'] });
  await rt.shutdown();
});
