/**
 * Lua code that builds a runtime type (src/modules/types.ts) from a parsed type expression. A chunk with type
 * declarations starts with `local __wt, __wts = __wisp_types, {}` (the constructors, and the chunk's table of
 * declared types); `type X = T` becomes `local X; X = __wt.def(__wts, "X", <T>)`, so X is a local of the
 * declaring block, as in Wippy, and can refer to itself.
 *
 * Names: primitives map to the runtime's own types; type parameters are the parameters of the function a generic
 * declaration becomes; any other name (a declared type, `module.Type`, a class) is a lazy reference, resolved
 * when a value is first checked: the name's value in the code's scope if it is a type, else a type of that name
 * declared in the same chunk (later in the file, say), else `any`.
 */
import type { TypeNode } from './type-ast';

export const RUNTIME = '__wisp_types';
export const CHUNK_PREAMBLE = `local __wt, __wts = ${RUNTIME}, {};`;

const PRIMITIVES = new Set(['number', 'integer', 'string', 'boolean', 'any', 'unknown', 'never', 'table', 'thread',
  'userdata', 'error']);

export interface CodegenContext {
  /** The source text of a range, with the annotations inside it erased (typeof and validator arguments). */
  text(start: number, end: number): string;
  /** Type parameters in scope (a generic declaration's), emitted as plain Lua names. */
  readonly params: ReadonlySet<string>;
  /** The annotated type of a local visible at the declaration, for `typeof(name)`. */
  lookup(name: string): TypeNode | undefined;
}

const quote = (s: string): string => JSON.stringify(s);

/** Lua source of a span, on one line (generated code must not add or remove line breaks). */
function oneLine(ctx: CodegenContext, start: number, end: number): string {
  return ctx.text(start, end).replace(/\r\n|\n\r|\r|\n/g, ' ');
}

export function typeCode(t: TypeNode, ctx: CodegenContext, depth = 0): string {
  if (depth > 64) return '__wt.any';
  const sub = (x: TypeNode): string => typeCode(x, ctx, depth + 1);
  switch (t.k) {
    case 'name': {
      let base: string;
      if (ctx.params.has(t.name)) base = t.name;
      else if (t.name === 'self') base = '__wt.any';
      else if (PRIMITIVES.has(t.name)) base = `__wt.${t.name}`;
      else base = `__wt.ref(__wts, ${quote(t.name)}, function() return ${t.name} end)`;
      return t.args && t.args.length > 0 ? `__wt.inst(${[base, ...t.args.map(sub)].join(', ')})` : base;
    }
    case 'path': {
      const base = `__wt.ref(__wts, ${quote(t.path.join('.'))}, function() return ${t.path.join('.')} end)`;
      return t.args && t.args.length > 0 ? `__wt.inst(${[base, ...t.args.map(sub)].join(', ')})` : base;
    }
    case 'literal':
      return `__wt.lit(${t.source})`;
    case 'nil':
      return '__wt.null';
    case 'array':
      return `__wt.array(${sub(t.elem)})`;
    case 'map':
      return `__wt.map(${sub(t.key)}, ${sub(t.value)})`;
    case 'record':
      return `__wt.record(${t.fields.map((f) => `${quote(f.name)}, ${sub(f.type)}, ${f.optional}`).join(', ')})`;
    case 'function':
      return '__wt.fn';
    case 'union':
      return `__wt.union(${t.types.map(sub).join(', ')})`;
    case 'intersection':
      return `__wt.inter(${t.types.map(sub).join(', ')})`;
    case 'optional':
      return `__wt.opt(${sub(t.inner)})`;
    case 'annotated':
      return t.annotations.reduce(
        (code, a) => `__wt.annot(${[code, quote(a.name), ...a.args.map((s) => oneLine(ctx, s.start, s.end))].join(', ')})`,
        sub(t.inner),
      );
    case 'typeof': {
      const known = t.name === undefined ? undefined : ctx.lookup(t.name);
      return known === undefined ? `__wt.typeof(${oneLine(ctx, t.expr.start, t.expr.end)})` : sub(known);
    }
    case 'any':
      return '__wt.any';
  }
}

/** The statement a `type Name<params> = T` declaration becomes. */
export function declarationCode(name: string, params: readonly string[], t: TypeNode, ctx: CodegenContext): string {
  const inner: CodegenContext = { ...ctx, params: new Set([...ctx.params, ...params]), lookup: ctx.lookup };
  const body = typeCode(t, inner);
  const value = params.length === 0 ? body : `__wt.generic(function(${params.join(', ')}) return ${body} end, ${params.length})`;
  return `local ${name}; ${name} = __wt.def(__wts, ${quote(name)}, ${value});`;
}
