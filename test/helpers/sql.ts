/**
 * A throwaway project for the SQL tests: a process host, the database entries given, and one `process.lua`
 * entry per script (each with `main`), booted in-process on a real runtime.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadProject } from '../../src/registry';
import { Runtime } from '../../src/hosts/runtime';
import { type Value } from '../../src/kernel/value';
import type { LogRecord, LogSink } from '../../src/api/logging';
import { runEntry } from './project';
import { valueToPlain } from '../../src/engine/plain';

export interface SqlApp {
  readonly rt: Runtime;
  readonly dir: string;
  readonly logs: LogRecord[];
  /** Runs script `name` as a process; resolves with main's result as plain JS, rejects with its error. */
  run(name: string, args?: Value[]): Promise<unknown>;
  /** Spawns script `name` and returns its PID (for tests that kill it). */
  spawn(name: string, args?: Value[]): string;
}

const MODULES = ['sql', 'time', 'channel', 'json'];

/** `dbEntries` is YAML for the `entries:` list (indented two spaces), e.g. a `db.sql.sqlite` entry named db. */
export async function sqlApp(dbEntries: string, scripts: Record<string, string>, dir = mkdtempSync(join(tmpdir(), 'wisp-sql-'))): Promise<SqlApp> {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'wippy.lock'), 'directories:\n  src: ./src\n');
  let yaml = `version: "1.0"\nnamespace: t\nentries:\n  - name: processes\n    kind: process.host\n    lifecycle: { auto_start: true }\n${dbEntries}\n`;
  for (const [name, source] of Object.entries(scripts)) {
    writeFileSync(join(dir, 'src', `${name}.lua`), source);
    yaml += `  - name: ${name}\n    kind: process.lua\n    source: file://${name}.lua\n    method: main\n    modules: [${MODULES.join(', ')}]\n`;
  }
  writeFileSync(join(dir, 'src', '_index.yaml'), yaml);
  const logs: LogRecord[] = [];
  const sink: LogSink = { enabled: () => true, write: (r) => logs.push(r) };
  const rt = new Runtime(loadProject(dir), { logs: sink, terminal: null });
  await rt.boot();
  return {
    rt,
    dir,
    logs,
    run: async (name, args = []) => {
      const outcome = await runEntry(rt, `t:${name}`, 't:processes', args);
      if (outcome.error !== null) throw new Error(outcome.error.message);
      return valueToPlain(outcome.value);
    },
    spawn: (name, args = []) => {
      const r = rt.node.spawn({ entry: `t:${name}`, host: 't:processes', args, parent: null, monitor: false, link: false });
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    },
  };
}

/** A function.lua body with `sql` and `time` required, `...` being the call's arguments. */
export const lua = (body: string): string => `local sql = require("sql")\nlocal time = require("time")\nlocal function main(...)\n${body}\nend\nreturn { main = main }\n`;

/** Sleeps 10 ms at a time for 2.5 s and reports how late it woke at worst: a stalled runtime thread shows here. */
export const BYSTANDER = `local worst, ticks = 0, 0
        local stop = time.now():add("2500ms")
        while time.now():before(stop) do
          local t0 = time.now()
          time.sleep("10ms")
          local late = time.now():sub(t0):milliseconds() - 10
          if late > worst then worst = late end
          ticks = ticks + 1
        end
        return { worst = worst, ticks = ticks }`;
