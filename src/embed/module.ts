/**
 * Lua modules written in TypeScript, so that any npm package can be put behind one. A function gets its Lua
 * arguments as plain data (an object of one of the module's types as that object) and returns plain data or an
 * object; a returned Promise blocks only the calling Lua process until it settles (the rest of its VM runs on);
 * a throw (or a rejection) becomes Wippy's `nil, err`.
 */
import type { LuaData } from './values';

/** What a module function or method returns (undefined: nil). */
export type HostResult = LuaData | SomeHostObject | undefined | void;

/** A HostObject of any object type (what a function may return). */
export interface SomeHostObject {
  readonly type: ObjectType<never>;
  readonly value: unknown;
}

/**
 * A module function. Its parameters are what Lua passed, converted (`never[]` lets it declare them as it
 * expects them: checking them is its own job, since Lua may pass anything).
 */
export type HostFunction = (...args: never[]) => HostResult | Promise<HostResult>;

/** A userdata type's method: `obj:method(...)` in Lua; gets the object first. */
export type HostMethod<T> = (self: T, ...args: never[]) => HostResult | Promise<HostResult>;

/** A userdata type: objects of it are Lua userdata with these methods (and `tostring` giving `name`). */
export interface ObjectType<T> {
  readonly name: string;
  readonly methods: Readonly<Record<string, HostMethod<T>>>;
}

/** A JavaScript object handed to Lua as userdata of `type`. */
export class HostObject<T = unknown> {
  constructor(
    readonly type: ObjectType<T>,
    readonly value: T,
  ) {}
}

export interface ModuleDefinition {
  /** The `require` name; an entry lists it in `modules:`. Lowercase letters, digits, `_` and `.`. */
  readonly name: string;
  /** One line for `system.modules()`. */
  readonly description?: string;
  readonly functions: Readonly<Record<string, HostFunction>>;
}

/** A module ready to be given to a runtime (`RuntimeOptions.modules`). */
export interface WispModule extends ModuleDefinition {
  readonly description: string;
}

const MODULE_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/;

/** Checks and returns a module definition; throws on a name Lua could not `require` or a function that is none. */
export function defineModule(definition: ModuleDefinition): WispModule {
  if (!MODULE_NAME.test(definition.name)) throw new TypeError(`module name ${JSON.stringify(definition.name)}: use lowercase letters, digits, _ and . (like "my_api")`);
  for (const [name, fn] of Object.entries(definition.functions)) {
    if (typeof fn !== 'function') throw new TypeError(`module ${definition.name}: ${name} is not a function`);
  }
  return { ...definition, description: definition.description ?? `${definition.name} (defined by the embedder)` };
}

/** A userdata type whose methods take the object first: `defineObjectType<Counter>('counter', { add: (c, n: number) => ... })`. */
export function defineObjectType<T>(name: string, methods: Readonly<Record<string, HostMethod<T>>>): ObjectType<T> {
  return { name, methods };
}
