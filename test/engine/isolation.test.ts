/**
 * One process attacks every shared table, function and thread it can reach (iterators, raw access,
 * metatables, load envs, module tables, userdata); another process, running alongside, sees pristine
 * libraries and modules, and its messages reach only their addressee.
 */
import { boot, runEntry } from '../helpers/project';
import { valueToPlain } from '../../src/engine/plain';

interface Report {
  attack: { tables: number; writes: string; threads: number };
  victim: { broken: string; echoed: number; last: number };
  stolen: number;
}

describe('isolation inside one Fengari state', () => {
  test('an attacker obtains nothing writable; a bystander sees pristine libraries and gets its messages', async () => {
    const runtime = boot('isolation');
    const outcome = await runEntry(runtime, 'iso:main', 'iso:processes');
    await runtime.shutdown();
    expect(outcome.error).toBeNull();
    const r = valueToPlain(outcome.value) as Report;
    // The walk reaches the libraries and module tables (so the test tests something) ...
    expect(r.attack.tables).toBeGreaterThan(12);
    // ... and no write through any of them, no foreign thread, no stolen message.
    expect(r.attack.writes).toBe('');
    expect(r.attack.threads).toBe(0);
    expect(r.victim).toEqual({ broken: '', echoed: 20, last: 20 });
    expect(r.stolen).toBe(0);
  });
});
