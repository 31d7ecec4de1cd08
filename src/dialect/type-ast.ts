/**
 * Type expressions as the type parser reads them (type-syntax.ts). Only what runtime type values need is kept:
 * the eraser turns `type X = …` declarations into code building these types (type-codegen.ts); every other
 * annotation is erased and its tree dropped.
 */

/** A source range (offsets into the chunk), for pieces copied into generated code as they are. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A validator annotation: `@min(0)`, `@pattern("^a")`; `args` are Lua expressions. */
export interface Annotation {
  readonly name: string;
  readonly args: readonly Span[];
}

export interface RecordField {
  readonly name: string;
  readonly type: TypeNode;
  readonly optional: boolean;
}

export type TypeNode =
  /** A primitive (`number`), a type parameter or a declared type, with generic arguments if any. */
  | { readonly k: 'name'; readonly name: string; readonly args?: readonly TypeNode[] }
  /** `module.Type`, with generic arguments if any. */
  | { readonly k: 'path'; readonly path: readonly string[]; readonly args?: readonly TypeNode[] }
  /** A singleton type: a string, number or boolean literal, as its Lua source. */
  | { readonly k: 'literal'; readonly source: string }
  | { readonly k: 'nil' }
  | { readonly k: 'array'; readonly elem: TypeNode }
  | { readonly k: 'map'; readonly key: TypeNode; readonly value: TypeNode }
  | { readonly k: 'record'; readonly fields: readonly RecordField[] }
  | { readonly k: 'function' }
  | { readonly k: 'union'; readonly types: readonly TypeNode[] }
  | { readonly k: 'intersection'; readonly types: readonly TypeNode[] }
  | { readonly k: 'optional'; readonly inner: TypeNode }
  | { readonly k: 'annotated'; readonly inner: TypeNode; readonly annotations: readonly Annotation[] }
  /** `typeof(expr)`; `name` is set when the expression is a single name. */
  | { readonly k: 'typeof'; readonly expr: Span; readonly name?: string }
  /** Anything with no runtime check of its own: packs, conditional types, `keyof`, `T[K]`, `asserts`. */
  | { readonly k: 'any' };

export const ANY: TypeNode = { k: 'any' };
