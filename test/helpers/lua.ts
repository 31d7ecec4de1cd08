/** Runs Lua fixtures as real processes in a real VM through the real scheduler. */
import { readFileSync } from 'fs';
import { join } from 'path';
import { createVM } from '../../src/modules';
import { LuaProcess, type ProcessSpec } from '../../src/engine/process';
import type { Outcome } from '../../src/kernel/message';
import { pushValue } from '../../src/engine/values';
import { type Value } from '../../src/kernel/value';
import type { LuaVM, VmOptions } from '../../src/engine/vm';
import { valueToPlain } from '../../src/engine/plain';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures');

export function fixture(path: string): string {
  return readFileSync(join(FIXTURES, path), 'utf8');
}

export interface Run {
  proc: LuaProcess;
  exit: Promise<Outcome>;
}

export function spawn(vm: LuaVM, source: string, entryId = 'test:main', args: Value[] = [], modules = ['time', 'channel']): Run {
  const spec: ProcessSpec = {
    entryId,
    chunk: vm.compile(source, entryId),
    method: 'main',
    modules: new Set(modules),
    imports: new Map(),
  };
  let done!: (r: Outcome) => void;
  const exit = new Promise<Outcome>((resolve) => (done = resolve));
  const proc = new LuaProcess(vm, spec, entryId, done);
  proc.start((T) => {
    for (const a of args) pushValue(T, a, vm);
    return args.length;
  });
  return { proc, exit };
}

/** Runs one script to its end and returns main's result as plain JS (throws on a process error). */
export async function run(source: string, options: VmOptions = {}): Promise<unknown> {
  const vm = createVM(options);
  const r = await spawn(vm, source).exit;
  if (r.error) throw new Error(r.error.stack ?? r.error.message);
  return valueToPlain(r.value);
}

/** Runs a fixture file (under fixtures/) and returns main's result as plain JS. */
export function runFixture(path: string, options: VmOptions = {}): Promise<unknown> {
  return run(fixture(path), options);
}

/**
 * A bystander process: sleeps `every` `count` times and returns how many times it woke. A hostile script in
 * the same VM must not keep it from finishing on time.
 */
export function bystander(vm: LuaVM, count: number, every: string): Run {
  const source = `local time = require("time")
return { main = function() local n = 0 for _ = 1, ${count} do time.sleep("${every}") n = n + 1 end return n end }`;
  return spawn(vm, source, 'test:bystander', [], ['time']);
}
