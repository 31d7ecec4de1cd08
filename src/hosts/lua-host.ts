/**
 * A host that runs `process.lua` entries (and, as the runtime's function host, `function.lua` calls): one
 * Fengari state (LuaVM) for all its processes. It compiles each entry once per registry version, connects
 * every process to the node (its PID, the Router) and reports exits back.
 */
import { createVM, type RuntimeVmOptions } from '../modules';
import { LuaProcess, type ProcessSpec } from '../engine/process';
import { LuaSyntaxError, type CompiledChunk } from '../engine/loader';
import type { LuaVM } from '../engine/vm';
import { pushValue } from '../engine/values';
import { ErrorValue, type Value } from '../kernel/value';
import { displayPath, isLuaEntry, type RegistryStore, type RunnableLuaEntry } from '../registry';
import type { Host, Node, ProcessRecord } from '../kernel/node';

export class LuaHost implements Host {
  readonly vm: LuaVM;
  private readonly specs = new Map<string, ProcessSpec>();
  private readonly running = new Map<string, LuaProcess>();
  private readonly unsubscribe: () => void;

  constructor(
    readonly id: string,
    protected readonly node: Node,
    private readonly store: RegistryStore,
    options: RuntimeVmOptions,
    /** The kind of entry this host runs. */
    private readonly runs: RunnableLuaEntry['kind'] = 'process.lua',
  ) {
    this.vm = createVM({ ...options, registry: store });
    // A changed registry may have changed any entry or library: compile again from the new version.
    this.unsubscribe = store.onChange(() => this.specs.clear());
  }

  /** Stops following registry changes (the runtime is shutting down). */
  close(): void {
    this.unsubscribe();
  }

  get processCount(): number {
    return this.running.size;
  }

  /** A running process of this host, read by the live view (src/hosts/snapshot.ts). */
  process(pid: string): LuaProcess | undefined {
    return this.running.get(pid);
  }

  start(record: ProcessRecord, entryId: string, args: readonly Value[]): ErrorValue | null {
    const spec = this.spec(entryId);
    if (spec instanceof ErrorValue) return spec;
    if (this.vm.watchdog?.underPressure === true) {
      return new ErrorValue('out of memory: the runtime is near its heap limit; no new process can start now', 'Unavailable', true);
    }
    const proc = new LuaProcess(this.vm, spec, record.id, (result) => {
      this.running.delete(record.id);
      this.node.exited(record.id, result);
      this.ended(proc);
    });
    proc.kernel = { pid: record.id, host: this.id, router: this.node.router };
    proc.context = record.context;
    proc.security = record.security;
    record.runtime = { terminate: (reason) => proc.terminate(reason.message), ranMs: () => proc.runMs };
    this.running.set(record.id, proc);
    this.prepare(proc);
    proc.start((T) => {
      for (const a of args) pushValue(T, a, this.vm);
      return args.length;
    });
    return null;
  }

  /** Compiles an entry (once) and checks it can run here; a bad entry is an error value naming it. */
  spec(entryId: string): ProcessSpec | ErrorValue {
    const cached = this.specs.get(entryId);
    if (cached !== undefined) return cached;
    const registry = this.store.current;
    const entry = registry.get(entryId);
    if (entry === undefined) return new ErrorValue(`entry ${entryId} not found`, 'NotFound');
    if (entry.kind !== this.runs || (entry.kind !== 'process.lua' && entry.kind !== 'function.lua')) return new ErrorValue(`entry ${entryId} is a ${entry.kind}, not a ${this.runs}`, 'Invalid');
    try {
      // A library's own imports and modules travel with it: `require` inside it resolves them too (the
      // entry's own aliases win over a library's).
      const imports = new Map<string, CompiledChunk>();
      const modules = new Set(entry.modules);
      const pending: [string, string][] = Object.entries(entry.imports);
      const seen = new Set<string>();
      for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
        const [alias, libraryId] = next;
        const library = registry.get(libraryId);
        if (library === undefined || !isLuaEntry(library)) return new ErrorValue(`import ${alias}: ${libraryId} is not a Lua entry`, 'Invalid');
        if (!imports.has(alias)) imports.set(alias, this.compile(library.source, library.id, library.sourcePath ?? library.file));
        if (seen.has(libraryId)) continue;
        seen.add(libraryId);
        for (const m of library.modules) modules.add(m);
        pending.push(...Object.entries(library.imports));
      }
      const spec: ProcessSpec = {
        entryId,
        chunk: this.compile(entry.source, entry.id, entry.sourcePath ?? entry.file),
        method: entry.method,
        modules,
        imports,
      };
      this.specs.set(entryId, spec);
      return spec;
    } catch (e) {
      if (e instanceof LuaSyntaxError) return new ErrorValue(e.message, 'Invalid');
      throw e;
    }
  }

  /** Hook for subclasses: runs before a new process's first instruction. */
  protected prepare(_proc: LuaProcess): void {}

  /** Hook for subclasses: runs after a process has ended and its exit was reported. */
  protected ended(_proc: LuaProcess): void {}

  private compile(source: Uint8Array, id: string, file: string): CompiledChunk {
    return this.vm.compile(source, id, displayPath(this.store.current.root, file));
  }
}
