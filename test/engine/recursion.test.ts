/**
 * Recursion in the runtime's own code (issue 8): a link cascade of any length and values nested thousands deep
 * go through loops, never JS recursion; a value too deep to copy is an error for whoever asked for the copy,
 * and an EXIT is never lost. Real Lua through the real CLI (fixtures/safety).
 */
import { join } from 'path';
import { ROOT, wisp } from '../helpers/cli';

// Generous: each test is a CLI run, and the machine may be loaded.
jest.setTimeout(90_000);

const PROJECT = join(ROOT, 'fixtures', 'safety');
const scenario = (args: string[], flags: string[] = []) =>
  wisp(['run', ...flags, '-x', 'safety:recursion', ...args], { cwd: PROJECT, timeoutMs: 60_000 });
const TOO_DEEP = 'value nested too deep to copy (more than 10000 levels of tables)';

describe('recursion in the runtime itself', () => {
  test('killing a 3000-long chain of linked processes: every link dies, every EXIT arrives, a bystander carries on', async () => {
    const r = await scenario(['chain', '3000']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe('exits=3000 terminated=1 linked=2999 other=0 first=process not found bystander=still here\n');
  });

  test('a child returning a table nested 2500 deep: its monitor gets the EXIT with the whole value', async () => {
    const r = await scenario(['result', '2500']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'depth=2500\n', '']);
  });

  test('a result nested deeper than the limit still produces an EXIT, with an error saying why', async () => {
    const r = await scenario(['result', '20000']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, `error: the result could not be copied: ${TOO_DEEP}\n`, '']);
  });

  test('process.send of values nested 5000 deep (through fields and through keys) delivers them whole', async () => {
    const r = await scenario(['send', '5000']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'fields=5000 keys=5000 bystander=after\n', '']);
  });

  test('process.send of a value nested too deep returns nil, err to the sender; the receiver is unharmed', async () => {
    const r = await scenario(['send', '20000']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(`fields error: ${TOO_DEEP} (Invalid) keys error: send failed: ${TOO_DEEP} bystander=after\n`);
  });

  test('the loops copy what the recursion did: cycles through values and keys, shared parts, number kinds', async () => {
    const r = await scenario(['shapes']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe('self=true key_cycle=key cycle shared=true int=integer float=float table_key=1 fn=nil entries=7\n');
  });

  test('payload.new, error details, spawn arguments, channels and log fields take deep values', async () => {
    const r = await scenario(['paths', '5000'], ['-c']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('payload=5000 details=5000 spawn=spawned channel=5000 logger=logged\n');
    // Log fields are rendered 32 levels deep (JSON.stringify recurses); deeper parts are elided.
    expect(r.stdout).toContain(`"d": ${'{"x": '.repeat(31)}"<too deep>"${'}'.repeat(31)}`);
  });

  test('and refuse values nested too deep with a clear error (a channel moves values without copying them)', async () => {
    const r = await scenario(['paths', '20000'], ['-c']);
    expect(r.code).toBe(0);
    // -c logs the runtime's own INFO lines ("runtime ready", ...) around the result.
    const result = r.stdout.split('\n').filter((l) => !/^ +\d+\.\d\ds {2}INFO {3}run /.test(l)).join('\n');
    expect(result).toBe(
      `payload=error: ${TOO_DEEP} details=error: ${TOO_DEEP} spawn=${TOO_DEEP} channel=20000 logger=error: ${TOO_DEEP}\n`,
    );
  });
});
