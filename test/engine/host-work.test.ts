/**
 * Host work a process triggers (issue 19): every attack is real Lua in a real runtime (fixtures/safety,
 * hostwork.lua), run beside a ticker that ticks every 10 ms. Each asserts that the attacker fails with a clear
 * error (or gets the right answer at once), that the ticker's longest gap stays within a few hundred ms, and
 * that nothing is lost. The runaway guard's hard slice is 150 ms here, as in runaway.test.ts.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadProject } from '../../src/registry';
import { Runtime } from '../../src/hosts/runtime';
import { SILENT } from '../../src/modules/logger';
import { ROOT, wisp } from '../helpers/cli';
import { runEntry } from '../helpers/project';
import { valueToPlain } from '../../src/engine/plain';

jest.setTimeout(180_000);

const HARD_MS = 150;
/**
 * A bystander's worst gap: the attacker's hard slice (CPU time), then a loaded 2-core machine's scheduling, which
 * stretches wall time several times over (as runaway.test.ts allows). Without the bounds these attacks froze it
 * for seconds to hours; the figures on a quieter machine are in src/engine/spec.md.
 */
const GAP_MS = HARD_MS * 30;
const RUNAWAY = String.raw`runaway code: ran \d+ ms without yielding where it cannot be preempted .*the limit is ${HARD_MS} ms`;

/** A copy of fixtures/safety (without the .wisp folder of a run going on there: its control socket). */
function projectCopy(): string {
  const copy = mkdtempSync(join(tmpdir(), 'wisp-'));
  cpSync(join(ROOT, 'fixtures', 'safety'), copy, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes('.wisp') });
  return copy;
}

let dir: string;
let rt: Runtime;
beforeAll(async () => {
  dir = projectCopy();
  rt = new Runtime(loadProject(dir), { logs: SILENT, terminal: null, vm: { hardSliceMs: HARD_MS } });
  rt.boot();
  // Loading Ajv (about 80 ms) is a one-time cost of the first json.validate, not the attack's.
  await runEntry(rt, 'safety:attack', 'safety:processes', ['redos_validate']);
});
afterAll(async () => {
  await rt.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs attack `kind` beside the ticker: its outcome, how long it took, the ticker's longest gap. */
async function attack(kind: string, ...args: string[]): Promise<{ outcome: string; ms: number; gap: number }> {
  const r = await runEntry(rt, 'safety:hostwork', 'safety:processes', [kind, ...args]);
  if (r.error) throw new Error(r.error.message);
  const m = /^([^]*) \| (\d+) ms \| gap (-?\d+) ms$/.exec(String(valueToPlain(r.value)));
  if (m === null) throw new Error(`unexpected summary: ${String(valueToPlain(r.value))}`);
  return { outcome: m[1], ms: Number(m[2]), gap: Number(m[3]) };
}

describe('regular expressions chosen by Lua: one linear-time RE2 matcher', () => {
  test('json.validate: a catastrophic pattern answers at once (pattern and patternProperties)', async () => {
    const r = await attack('redos_validate');
    expect(r.outcome).toBe('validate=false (validation failed:  must match pattern "^(a+)+$") properties=true'); // the key does not match: the property is unconstrained
    expect(r.gap).toBeLessThan(GAP_MS);
  });

  test('a runtime type @pattern', async () => {
    const r = await attack('redos_type');
    expect(r.outcome).toMatch(/^type=nil \(value "a+b" does not match pattern "\^\(a\|aa\)\+\$"\)$/);
    expect(r.gap).toBeLessThan(GAP_MS);
  });

  test('registry.find ~meta filters (a pattern RE2 refuses matches nothing)', async () => {
    const r = await attack('redos_find');
    expect(r.outcome).toBe('find=0 also=1 lookahead=0');
    expect(r.gap).toBeLessThan(GAP_MS);
  });

  test('process.listen wildcards: matched in linear time; a pattern too large is refused', async () => {
    const r = await attack('redos_listen');
    expect(r.outcome).toBe('sent=true went to inbox huge pattern: cannot listen to topic: regular expression too long: 63002 characters (at most 4096)');
    expect(r.gap).toBeLessThan(GAP_MS);
  });


  test('a program too large is refused before it is compiled', async () => {
    const r = await attack('large_pattern');
    expect(r.outcome).toBe('false (compile schema: pattern "' + '[a-z]{1000}'.repeat(6) + '": regular expression too large: about 6000 instructions (at most 5000)) find=0');
  });

});

describe('decoders', () => {
  test('json.decode of 3 MB of empty arrays: a million tables, built in slices; the ticker keeps ticking', async () => {
    const r = await attack('decode_json', '1000000');
    expect(r.outcome).toBe('decoded 1000000');
    expect(r.gap).toBeLessThan(GAP_MS);
  });

  test('yaml.decode of 12 MB of them: refused past 100000 nodes, with a clear error', async () => {
    const r = await attack('decode_yaml', '4000000');
    expect(r.outcome).toBe('error: decode failed: document has more than 100000 nodes (Invalid)');
    expect(r.gap).toBeLessThan(GAP_MS);
    expect((await attack('decode_yaml', '50000')).outcome).toBe('decoded 50000');
  });
});

describe('long host work is stopped by the runaway guard, as code that cannot yield', () => {
  test.each([
    ['a large program against a long text (json.validate)', 'heavy_validate'],
    ['the same through registry.find', 'heavy_find'],
    ['load of a 4 MB chunk: type erasure and the compiler', 'load_huge'],
  ])('%s', async (_name, kind) => {
    const r = await attack(kind);
    expect(r.outcome).toMatch(new RegExp(`^error: ${RUNAWAY}$`));
    expect(r.gap).toBeLessThan(GAP_MS);
  });
});

describe('error texts', () => {
  test('a 200 KB error message: reported at once, whole', async () => {
    const r = await attack('error_text');
    expect(r.outcome).toBe(`error: ${'x'.repeat(200000)}:${'y'.repeat(1000)}`);
    expect(r.gap).toBeLessThan(GAP_MS);
  });

  test('errors.wrap and e:stack() stop at the string limit', async () => {
    const r = await attack('error_wraps');
    expect(r.outcome).toBe(`message=${60 * 1024 * 1024 + 5} wrap=string too large (max 67108864 bytes) stack=string too large (max 67108864 bytes)`);
  });
});

describe('fan-out', () => {
  test('a process may hold 1024 subscriptions; a send reaches every one of them, nothing lost', async () => {
    const r = await attack('fanout', '5000');
    expect(r.outcome).toMatch(/^subscriptions=1024 refused=too many event subscriptions: \{safety:processes\|0x[0-9a-f]+\} has 1024 open .* received=51200$/);
    expect(r.gap).toBeLessThan(GAP_MS);
  });
});

describe('memory the runtime holds for a process', () => {
  test('names: 1024 a process, of at most 1024 characters', async () => {
    const r = await attack('names', '5000');
    expect(r.outcome).toMatch(/^registered 1024, then: too many names: \{safety:processes\|0x[0-9a-f]+\} has 1024 registered \(Unavailable\)$/);
  });

  test('registry versions: the history keeps v0 and the latest 100; a change set holds at most 1000 changes', async () => {
    const r = await attack('versions', '300');
    expect(r.outcome).toMatch(/^versions kept=101 first=0 latest=\d+ v1=nil changes: too many changes: at most 1000 in one change set$/);
  });
});

describe('memory held for a process in the runtime\'s own objects is charged to it (a 128 MB heap)', () => {
  test('unread funcs.async results: the process holding the Futures is failed with "out of memory"', async () => {
    const r = await wisp(['run', '-x', 'safety:hostwork', 'futures'], {
      cwd: dir,
      node: ['--max-old-space-size=128'],
      timeoutMs: 150_000,
    });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^error: out of memory: this process held about \d+ MiB when the runtime's heap reached \d+ MiB of 128 MiB \| \d+ ms \| gap \d+ ms\n$/);
  });
});

describe('timers a process dropped are charged to it (a 128 MB heap)', () => {
  test('a loop of time.after("1h"): the process is failed with "out of memory"; the ticker lives on', async () => {
    const r = await wisp(['run', '-x', 'safety:hostwork', 'timers'], { cwd: dir, node: ['--max-old-space-size=128'], timeoutMs: 150_000 });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^error: out of memory: this process held about \d+ MiB when the runtime's heap reached \d+ MiB of 128 MiB \| \d+ ms \| gap \d+ ms\n$/);
  });
});

describe('recursion in the runtime: a 3000-deep chain of funcs.call ends without JS recursion', () => {
  const nested = async (mode: string, n: number): Promise<string> => {
    const r = await runEntry(rt, 'safety:nested', 'safety:processes', [mode, String(n)]);
    if (r.error) throw new Error(r.error.message);
    return String(valueToPlain(r.value));
  };

  test('the root call times out: every callee ends, the caller gets its Timeout', async () => {
    expect(await nested('timeout', 3000)).toBe('built=3000 caller: call failed: call to safety:nest timed out after 15000 ms left=0');
  }, 120_000);

  test('the caller is terminated: every callee ends, the EXIT arrives', async () => {
    expect(await nested('kill', 3000)).toBe('built=3000 caller: process terminated left=0');
  }, 120_000);
});

describe('bad input', () => {
  test('env.set on a .env file refuses what would not read back the same', async () => {
    const r = await attack('envset');
    const refused = (what: string) => `set environment variable failed: a .env file cannot hold this value: it has ${what} (it would not read back the same)`;
    expect(r.outcome).toBe([refused('a newline'), refused("'#'"), refused('whitespace at its start or end'), 'set, reads "plain value"', 'ADMIN=nil'].join(' | '));
    expect(readFileSync(join(dir, '.env.test'), 'utf8')).toBe('NOTE=plain value\n');
  });

  test('two libraries importing each other: the cycle named with its entries and files', async () => {
    const r = await attack('cycle');
    expect(r.outcome).toMatch(/^error: .*import cycle: safety:cyc_a \(src\/cyc_a\.lua\) requires safety:cyc_b \(src\/cyc_b\.lua\), which requires safety:cyc_a again$/);
  });
});
