import { loadProject, type ProcessServiceEntry } from '../../src/registry';
import { Runtime } from '../../src/hosts/runtime';
import { SILENT } from '../../src/modules/logger';
import { ECHO } from '../helpers/cli';
import { ScriptedTerminal } from '../helpers/terminal';

test('the echo relay is killed mid-session; its supervisor restarts it, it registers again, the session goes on', async () => {
  const registry = loadProject(ECHO);
  // Only so the test's own shutdown is quick: the tutorial relay ignores CANCEL (default stop_timeout 10s).
  (registry.get('app:relay-service') as ProcessServiceEntry).lifecycle.stopTimeoutMs = 100;
  const terminal = new ScriptedTerminal();
  const rt = new Runtime(registry, { logs: SILENT, terminal });
  rt.boot();
  const cli = rt.exec('app:cli', 'app:terminal', []);
  await terminal.waitFor('> ');
  terminal.type('before');
  await terminal.waitFor(/ {2}BEFORE\n {2}from worker: \{app:processes\|0x[0-9a-f]+\}\n> /);

  const service = rt.services.get('app:relay-service');
  const first = service?.pid as string;
  expect(rt.node.lookup('relay')).toEqual({ ok: true, value: first });
  const killedAt = Date.now();
  expect(rt.node.terminate('', first)).toBeNull();
  expect(service?.state).toBe('Failed');
  expect(rt.node.lookup('relay').ok).toBe(false); // released with the process

  // Restarted after initial_delay (1s ± 10%), and registered again under the same name.
  while (!(rt.node.lookup('relay').ok && service?.pid !== first)) await new Promise((r) => setTimeout(r, 20));
  expect(Date.now() - killedAt).toBeGreaterThanOrEqual(850);
  expect(service?.state).toBe('Running');
  expect(rt.node.lookup('relay')).toEqual({ ok: true, value: service?.pid });

  terminal.type('after');
  await terminal.waitFor(/ {2}AFTER\n {2}from worker: /);
  terminal.type(null);
  const outcome = await cli;
  expect(outcome.error).toBeNull();
  expect(terminal.out.endsWith('\nGoodbye!\n')).toBe(true);
  await rt.shutdown();
}, 15000);
