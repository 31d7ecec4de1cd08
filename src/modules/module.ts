/**
 * The one shape of a Lua module: a folder `src/modules/<name>/` whose `index.ts` exports one descriptor made
 * with `luaModule`, and a `spec.md`. The list in `./index.ts` decides the install order; the global set,
 * `require`, `system.modules()` and the README's module list all derive from it.
 */
import type { LuaVM } from '../engine/vm';
import type { ModuleServices } from '../api/services';

/** Wippy's module classes, as `system.modules()` reports them. */
export type ModuleClass = 'process' | 'deterministic' | 'nondeterministic' | 'encoding' | 'io' | 'network' | 'storage' | 'security' | 'time' | 'workflow';

export interface InstallContext {
  /** What the runtime provides (absent parts: the module answers Internal errors, as in a bare VM). */
  readonly services: ModuleServices;
  /** The value another module's `install` returned; it must be listed in `needs` (and so installed first). */
  api<A>(module: LuaModule<A>): A;
  /** Every module being installed, in order (`system.modules()` lists them). */
  readonly modules: readonly LuaModule<unknown>[];
}

export interface LuaModule<A = void> {
  /** The `require` name (and the global's name when `global`). */
  readonly name: string;
  /** One line for `system.modules()` and the README. */
  readonly description: string;
  readonly classes: readonly ModuleClass[];
  /** A global in every process (Wippy's process, channel, errors, payload); `require` hands it out unlisted. */
  readonly global?: boolean;
  /** Installs globals only, under no `require` name, and is not listed by `system.modules()` (runtime types). */
  readonly hidden?: boolean;
  /** Modules whose `install` result this one uses. */
  readonly needs?: readonly LuaModule<unknown>[];
  /** Defines the module in `vm` (usually with `vm.defineModule`); the result is what `ctx.api(this)` gives others. */
  install(vm: LuaVM, ctx: InstallContext): A;
}

export function luaModule<A = void>(module: LuaModule<A>): LuaModule<A> {
  return module;
}

/** Installs `modules` in list order; a module that needs one listed after it is a programming error. */
export function installModules(vm: LuaVM, modules: readonly LuaModule<unknown>[], services: ModuleServices): void {
  const installed = new Map<LuaModule<unknown>, unknown>();
  for (const module of modules) {
    for (const need of module.needs ?? []) {
      if (!installed.has(need)) throw new Error(`module ${module.name} needs ${need.name}, which is not installed before it`);
    }
    const ctx: InstallContext = {
      services,
      modules,
      api: <A>(m: LuaModule<A>): A => {
        if (!(module.needs ?? []).includes(m as LuaModule<unknown>)) throw new Error(`module ${module.name} uses ${m.name} without listing it in needs`);
        return installed.get(m as LuaModule<unknown>) as A;
      },
    };
    installed.set(module, module.install(vm, ctx));
    if (module.global === true) vm.exposeModule(module.name);
  }
}
