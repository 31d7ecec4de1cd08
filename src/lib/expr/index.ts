/**
 * expr-lang (github.com/expr-lang/expr v1.17, the expression language Wippy embeds) in TypeScript: compile an
 * expression once, run it with an environment of values many times. Compile errors and run errors are
 * ExprErrors whose message is expr-lang's (`msg (line:col)` and a snippet of the source). A run is bounded by
 * Limits: evaluation steps, elements created and string length. See spec.md in this folder.
 */
import type { Node } from './ast';
import { Checker } from './checker';
import { Compiler, type Code } from './compile';
import { ExprError } from './errors';
import { envNature } from './natures';
import { parse } from './parser';
import { Budget, DEFAULT_LIMITS, type Limits } from './runtime';
import { EvalError, type StrMap, type Value } from './values';

export { ExprError } from './errors';
export { DEFAULT_LIMITS, type Limits } from './runtime';
export { formatValue } from './format';
export * from './values';

export interface CompileOptions {
  /**
   * A type-hint environment (Go's expr.Env): names outside it are compile errors ("unknown name"), the types of
   * its values are checked, and calls to its names are not builtin calls.
   */
  readonly env?: ReadonlyMap<string, Value> | null;
}

export class Program {
  constructor(
    readonly source: string,
    private readonly code: Code,
    private readonly slots: number,
  ) {}

  /** Runs the program with `env` (a map of names, usually); throws an ExprError. */
  run(env: Value = null, limits: Partial<Limits> = {}): Value {
    const budget = new Budget({ ...DEFAULT_LIMITS, ...limits });
    const ctx = { env, vars: new Array<Value>(this.slots).fill(null), scopes: [], budget };
    try {
      return this.code(ctx);
    } catch (e) {
      throw runError(e, this.source);
    }
  }
}

function runError(e: unknown, source: string): unknown {
  if (e instanceof ExprError) return e.bind(source);
  if (e instanceof EvalError) return new ExprError(e.message, { from: 0, to: 0 }).bind(source);
  if (e instanceof RangeError) return new ExprError('expression nested too deep', { from: 0, to: 0 }).bind(source);
  return e;
}

/** Go's constant folder refuses `x % 0` at compile time. */
function checkConstants(node: Node): void {
  const stack: Node[] = [node];
  while (stack.length > 0) {
    const n = stack.pop() as Node;
    if (n.k === 'binary' && n.op === '%' && n.left.k === 'int' && n.right.k === 'int' && n.right.value === 0) {
      throw new ExprError('integer divide by zero', n.loc);
    }
    for (const v of Object.values(n)) {
      if (Array.isArray(v)) for (const x of v) pushNode(stack, x);
      else pushNode(stack, v);
    }
  }
}

function pushNode(stack: Node[], v: unknown): void {
  if (typeof v !== 'object' || v === null) return;
  const o = v as { k?: unknown; key?: unknown; value?: unknown };
  if (typeof o.k === 'string') stack.push(v as Node);
  else if (o.key !== undefined && o.value !== undefined) {
    pushNode(stack, o.key);
    pushNode(stack, o.value);
  }
}

/** Compiles `source`; throws an ExprError (syntax, types, unknown names when `env` is given). */
export function compile(source: string, options: CompileOptions = {}): Program {
  const env = options.env ?? null;
  const tree = parse(source, { overridden: env === null ? undefined : (name) => env.has(name) });
  try {
    new Checker({ env: env === null ? null : envNature(env) }).visit(tree);
    checkConstants(tree);
    const compiler = new Compiler({ fastEnv: env !== null });
    const code = compiler.compile(tree);
    return new Program(source, code, compiler.slots);
  } catch (e) {
    if (e instanceof ExprError) throw e.bind(source);
    throw e;
  }
}

/** Compiles and runs `source` once (Go's expr.Eval). */
export function evaluate(source: string, env: Value = null, limits: Partial<Limits> = {}): Value {
  return compile(source).run(env, limits);
}

/** An environment map from a plain record (tests, host callers). */
export function envOf(record: Record<string, Value>): StrMap {
  return new Map(Object.entries(record));
}
