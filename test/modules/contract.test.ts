/**
 * contract through the real runtime: fixtures/contract boots definitions, bindings (three of them refused by
 * the contract service) and functions; fixtures/contract/src/probe.lua runs each step as a process.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadProject } from '../../src/registry';
import { Runtime } from '../../src/hosts/runtime';
import type { LogRecord, LogSink } from '../../src/api/logging';
import { FIXTURES } from '../helpers/lua';
import { runEntry } from '../helpers/project';
import { valueToPlain } from '../../src/engine/plain';

const records: LogRecord[] = [];
const logs: LogSink = { enabled: () => true, write: (r) => void records.push(r) };
let runtime: Runtime;

beforeAll(async () => {
  runtime = new Runtime(loadProject(join(FIXTURES, 'contract')), { logs, terminal: null });
  await runtime.boot();
});
afterAll(() => runtime.shutdown());

async function step(name: string): Promise<Record<string, any>> {
  const out = await runEntry(runtime, 'app:probe', 'app:processes', [name]);
  if (out.error) throw new Error(out.error.stack ?? out.error.message);
  return valueToPlain(out.value) as Record<string, any>;
}

function project(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-contract-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'wippy.lock'), 'directories:\n  src: ./src\n');
  writeFileSync(join(dir, 'src', '_index.yaml'), `version: "1.0"\nnamespace: t\nentries:\n${yaml}`);
  return dir;
}

describe('contract', () => {
  test('definitions read as Contract objects: methods, schemas, errors, implementations', async () => {
    const r = await step('introspect');
    expect(r.id).toBe('app:shapes');
    expect(r.n).toBe(3);
    expect(r.area).toEqual({
      name: 'area',
      description: 'Area of a rectangle',
      input_schemas: [{ format: 'application/schema+json', definition: { type: 'object', properties: { w: { type: 'number' }, h: { type: 'number' } } } }],
    });
    expect(r.missing_err).toEqual({ kind: 'NotFound', message: "contract definition 'app:nope' not found", retryable: false });
    expect(r.method_err).toEqual({ kind: 'NotFound', message: "method 'nope' not found in contract 'app:shapes'", retryable: false });
    expect(r.impls).toEqual(['app:shapes_impl']); // the refused bindings are not implementations
    expect(r.found).toEqual(['app:shapes_impl']);
    expect(r.none).toEqual({});
  });

  test('instances call the bound functions with the scope as context, sync and async; required keys are checked', async () => {
    const r = await step('calls');
    expect(r.err).toBeUndefined();
    expect(r.area).toBe(42);
    expect(r.async).toBe(6);
    // Query values are typed as Wippy types them; the scope table is laid over them.
    expect(r.who).toEqual({ tenant: 'q', n: 5, f: 2.5, b: false, s: 'a b!', extra: 'scope' });
    // Through a Contract: its with_context values under the open's scope table.
    expect(r.who2).toEqual({ tenant: 'ctx', extra: 'table' });
    expect(r.missing).toEqual({ kind: 'Invalid', message: 'missing required context keys: [tenant]', retryable: false });
    expect([r.is, r.is_not, r.nomethod, r.str]).toEqual([true, false, undefined, 'contract.Instance{app:shapes_impl}']);
  });

  test('bindings that do not match their contracts are refused with a reason; opening them is NotFound', async () => {
    const r = await step('refused');
    for (const i of [1, 2, 3, 4]) expect(r[i].err).toMatchObject({ kind: 'NotFound', retryable: false });
    expect(r[1].err.message).toBe("contract binding 'app:second_default' not found");
    expect(r[5].err.message).toBe("contract binding '' not found");
    expect(r.query.kind).toBe('Invalid');
    expect(r.nodefault).toEqual({ kind: 'NotFound', message: "no default binding for contract 'app:unused'", retryable: false });
    const failures = records.filter((x) => x.message === 'service failed').map((x) => x.fields.error);
    expect(failures).toEqual(
      expect.arrayContaining([
        'contract binding app:second_default: contract app:shapes already has default binding app:shapes_impl',
        'contract binding app:incomplete: method "whoami" of contract app:shapes is not bound',
        'contract binding app:extraneous: bound method "extra" is not defined in contract app:unused',
      ]),
    );
  });

  test("the retry option retries retryable failures with backoff, as Wippy's interceptor does", async () => {
    const r = await step('retry');
    expect(r.retried).toEqual({ n: 3, err: { kind: 'Unavailable', message: 'flaky failed' } });
    expect(r.unknown_kind.n).toBe(2);
    expect(r.not_retryable_kind.n).toBe(1);
    expect(r.skipped.n).toBe(1);
    expect(r.none.n).toBe(1);
  });

  test('definitions and bindings that are wrong on their own are load errors naming file and entry', () => {
    const cases: [string, RegExp][] = [
      ['  - name: c\n    kind: contract.definition\n    methods:\n      - description: x\n', /entry t:c: field "methods\[0\].name": method name cannot be empty/],
      ['  - name: c\n    kind: contract.definition\n    methods: [{name: a}, {name: a}]\n', /duplicate method name "a"/],
      ['  - name: c\n    kind: contract.definition\n    methods:\n      - name: a\n        output_schemas: [{definition: {type: string}}]\n', /has a definition but no format/],
      ['  - name: b\n    kind: contract.binding\n    contracts: []\n', /entry t:b: field "contracts": a binding must bind at least one contract/],
      ['  - name: f\n    kind: function.lua\n    source: "return {}"\n    method: main\n  - name: b\n    kind: contract.binding\n    contracts: [{contract: f, methods: {}}]\n', /entry t:b: field "contracts\[0\].contract"/],
    ];
    for (const [yaml, message] of cases) expect(() => loadProject(project(yaml))).toThrow(message);
  });
});
