/**
 * Turns a checked tree into JS closures that evaluate it with expr-lang's VM semantics (compiler/compiler.go and
 * vm/vm.go): the same evaluation order, short-circuits, predicate loops, optional chains and panic texts, each
 * error located at the node whose operation failed. Every operation charges the run's budget.
 */
import type { MemberNode, Node, NodeOf } from './ast';
import { BUILTINS } from './builtins';
import { ExprError, type Loc } from './errors';
import { compileRegex, type Regex } from './regex';
import {
  add,
  Budget,
  divide,
  equal,
  exponent,
  fetch,
  length,
  less,
  lessOrEqual,
  modulo,
  more,
  moreOrEqual,
  multiply,
  negate,
  range,
  slice,
  subtract,
  utf8,
  within,
} from './runtime';
import {
  AnyMap,
  asBool,
  asString,
  Bytes,
  Callable,
  conversionError,
  EvalError,
  fail,
  float,
  goKind,
  goType,
  isMap,
  type StrMap,
  type Value,
} from './values';

interface Scope {
  items: readonly Value[];
  index: number;
  acc: Value;
}

export interface Ctx {
  readonly env: Value;
  readonly vars: Value[];
  readonly scopes: Scope[];
  readonly budget: Budget;
}

export type Code = (c: Ctx) => Value;

/** What an optional chain yields inside itself once a `?.` met nil; the chain turns it into nil. */
const CHAIN_NIL = Object.freeze({ chain: 'nil' }) as unknown as Value;

/** An evaluation error, located at `loc` unless it already has a location. */
function at(e: unknown, loc: Loc): unknown {
  if (e instanceof EvalError) return new ExprError(e.message, loc);
  return e;
}

/** The elements a predicate builtin iterates (Go's OpBegin on any value with a length). */
function iterable(v: Value): readonly Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Bytes) return [...v.data];
  if (typeof v === 'string') return [...utf8(v)];
  if (isMap(v)) {
    if (v.size === 0) return [];
    return fail('reflect: call of reflect.Value.Index on map Value');
  }
  if (v === null) return fail('reflect: call of reflect.Value.Len on zero Value');
  return fail(`reflect: call of reflect.Value.Len on ${goKind(v)} Value`);
}

function item(c: Ctx): Value {
  const s = c.scopes[c.scopes.length - 1];
  return s.items[s.index];
}

export interface CompileOptions {
  /** Whether identifiers are read from a map environment directly (Go's OpLoadFast, when a compile env is given). */
  readonly fastEnv: boolean;
}

export class Compiler {
  /** Let-variable names in scope, innermost last, with their slot. */
  private readonly scopes: { name: string; slot: number }[] = [];
  slots = 0;

  constructor(private readonly options: CompileOptions) {}

  compile(node: Node): Code {
    switch (node.k) {
      case 'nil':
        return () => null;
      case 'bool':
      case 'int':
      case 'string': {
        const v = node.value;
        return () => v;
      }
      case 'float': {
        const v = float(node.value);
        return () => v;
      }
      case 'bytes': {
        const v = new Bytes(node.value);
        return () => v;
      }
      case 'ident':
        return this.identifier(node);
      case 'unary':
        return this.unary(node);
      case 'binary':
        return this.binary(node);
      case 'chain': {
        const inner = this.compile(node.node);
        return (c) => {
          const v = inner(c);
          return v === CHAIN_NIL ? null : v;
        };
      }
      case 'member':
        return this.member(node);
      case 'slice':
        return this.slice(node);
      case 'call':
        return this.call(node);
      case 'builtin':
        return this.builtin(node);
      case 'predicate':
        return this.compile(node.node);
      case 'pointer':
        return this.pointer(node);
      case 'let': {
        const value = this.compile(node.value);
        const slot = this.slots++;
        this.scopes.push({ name: node.name, slot });
        const body = this.compile(node.expr);
        this.scopes.pop();
        return (c) => {
          c.vars[slot] = value(c);
          return body(c);
        };
      }
      case 'seq': {
        const codes = node.nodes.map((n) => this.compile(n));
        return (c) => {
          let last: Value = null;
          for (const code of codes) last = code(c);
          return last;
        };
      }
      case 'cond': {
        const cond = this.compile(node.cond);
        const then = this.compile(node.then);
        const otherwise = this.compile(node.else);
        const loc = node.cond.loc;
        return (c) => {
          c.budget.step();
          const v = cond(c);
          if (typeof v !== 'boolean') throw at(new EvalError(conversionMessage(v, 'bool')), loc);
          return v ? then(c) : otherwise(c);
        };
      }
      case 'array': {
        const codes = node.nodes.map((n) => this.compile(n));
        const loc = node.loc;
        return (c) => {
          const out = codes.map((code) => code(c));
          try {
            c.budget.grow(out.length);
          } catch (e) {
            throw at(e, loc);
          }
          return out;
        };
      }
      case 'map': {
        const pairs = node.pairs.map((p) => [this.compile(p.key), this.compile(p.value)] as const);
        const loc = node.loc;
        return (c) => {
          const kv = pairs.map(([k, v]) => [k(c), v(c)] as const);
          const out: StrMap = new Map();
          try {
            c.budget.grow(kv.length);
            for (const [k, v] of kv) out.set(asString(k), v);
          } catch (e) {
            throw at(e, loc);
          }
          return out;
        };
      }
    }
  }

  private identifier(node: NodeOf<'ident'>): Code {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      if (this.scopes[i].name === node.name) {
        const slot = this.scopes[i].slot;
        return (c) => c.vars[slot];
      }
    }
    if (node.name === '$env') return (c) => c.env;
    const name = node.name;
    const loc = node.loc;
    if (this.options.fastEnv) {
      return (c) => {
        const env = c.env;
        if (env instanceof Map) return env.get(name) ?? null;
        throw at(new EvalError(conversionMessage(env, 'map[string]interface {}')), loc);
      };
    }
    return (c) => {
      const env = c.env;
      if (env instanceof Map) return env.get(name) ?? null;
      try {
        return fetch(env, name);
      } catch (e) {
        throw at(e, loc);
      }
    };
  }

  private unary(node: NodeOf<'unary'>): Code {
    const operand = this.compile(node.node);
    const loc = node.loc;
    switch (node.op) {
      case '!':
      case 'not':
        return (c) => {
          c.budget.step();
          const v = operand(c);
          if (typeof v !== 'boolean') throw at(new EvalError(conversionMessage(v, 'bool')), loc);
          return !v;
        };
      case '-':
        return (c) => {
          c.budget.step();
          const v = operand(c);
          try {
            return negate(v);
          } catch (e) {
            throw at(e, loc);
          }
        };
      default:
        return operand;
    }
  }

  private binary(node: NodeOf<'binary'>): Code {
    const left = this.compile(node.left);
    const right = this.compile(node.right);
    const loc = node.loc;
    const op = (f: (a: Value, b: Value, budget: Budget) => Value): Code => (c) => {
      c.budget.step();
      const a = left(c);
      const b = right(c);
      try {
        return f(a, b, c.budget);
      } catch (e) {
        throw at(e, loc);
      }
    };
    switch (node.op) {
      case '==':
        return op((a, b, budget) => equal(a, b, budget));
      case '!=':
        return op((a, b, budget) => !equal(a, b, budget));
      case 'or':
      case '||':
        return (c) => {
          c.budget.step();
          const a = left(c);
          if (typeof a !== 'boolean') throw at(new EvalError(conversionMessage(a, 'bool')), node.left.loc);
          return a ? true : right(c);
        };
      case 'and':
      case '&&':
        return (c) => {
          c.budget.step();
          const a = left(c);
          if (typeof a !== 'boolean') throw at(new EvalError(conversionMessage(a, 'bool')), node.left.loc);
          return a ? right(c) : false;
        };
      case '??':
        return (c) => {
          c.budget.step();
          const a = left(c);
          return a === null ? right(c) : a;
        };
      case '<':
        return op(less);
      case '>':
        return op(more);
      case '<=':
        return op(lessOrEqual);
      case '>=':
        return op(moreOrEqual);
      case '+':
        return op(add);
      case '-':
        return op(subtract);
      case '*':
        return op(multiply);
      case '/':
        return op(divide);
      case '%':
        return op(modulo);
      case '**':
      case '^':
        return op(exponent);
      case 'in':
        return op(within);
      case '..':
        return op(range);
      case 'contains':
        return op((a, b, budget) => {
          if (a === null || b === null) return false;
          const s = asString(a);
          budget.scan(s.length);
          return s.includes(asString(b));
        });
      case 'startsWith':
        return op((a, b, budget) => {
          if (a === null || b === null) return false;
          const s = asString(b);
          budget.scan(s.length);
          return asString(a).startsWith(s);
        });
      case 'endsWith':
        return op((a, b, budget) => {
          if (a === null || b === null) return false;
          const s = asString(b);
          budget.scan(s.length);
          return asString(a).endsWith(s);
        });
      case 'matches': {
        if (node.right.k === 'string') {
          const re = compileRegex(node.right.value);
          if (typeof re === 'string') throw new ExprError(re, loc);
          return (c) => {
            c.budget.step();
            const a = left(c);
            try {
              return matchWith(re, a, c.budget);
            } catch (e) {
              throw at(e, loc);
            }
          };
        }
        return op((a, b, budget) => {
          if (a === null || b === null) return false;
          const re = compileRegex(asString(b));
          if (typeof re === 'string') fail(re);
          return matchWith(re, a, budget);
        });
      }
      default:
        throw new ExprError(`unknown operator (${node.op})`, loc);
    }
  }

  private member(node: MemberNode): Code {
    const base = this.compile(node.node);
    const loc = node.loc;
    const optional = node.optional;
    if (node.property.k === 'string') {
      const key = node.property.value;
      return (c) => {
        c.budget.step();
        const from = base(c);
        if (from === CHAIN_NIL || (optional && from === null)) return CHAIN_NIL;
        if (from instanceof Map) return from.get(key) ?? null;
        try {
          return fetch(from, key, c.budget);
        } catch (e) {
          throw at(e, loc);
        }
      };
    }
    const property = this.compile(node.property);
    return (c) => {
      c.budget.step();
      const from = base(c);
      if (from === CHAIN_NIL || (optional && from === null)) return CHAIN_NIL;
      const key = property(c);
      try {
        return fetch(from, key, c.budget);
      } catch (e) {
        throw at(e, loc);
      }
    };
  }

  private slice(node: NodeOf<'slice'>): Code {
    const base = this.compile(node.node);
    const to = node.to === null ? null : this.compile(node.to);
    const from = node.from === null ? null : this.compile(node.from);
    const loc = node.loc;
    return (c) => {
      c.budget.step();
      const v = base(c);
      try {
        const end = to === null ? length(v) : to(c);
        const start = from === null ? 0 : from(c);
        return slice(v, start, end, c.budget);
      } catch (e) {
        throw at(e, loc);
      }
    };
  }

  private call(node: NodeOf<'call'>): Code {
    const args = node.args.map((a) => this.compile(a));
    const callee = this.compile(node.callee);
    const loc = node.loc;
    return (c) => {
      c.budget.step();
      const values = args.map((a) => a(c));
      const fn = callee(c);
      if (fn === CHAIN_NIL) return CHAIN_NIL;
      try {
        if (fn === null) fail('invalid operation: cannot call nil');
        if (!(fn instanceof Callable)) fail(`invalid operation: cannot call non-function of type ${goType(fn)}`);
        return fn.call(values);
      } catch (e) {
        throw at(e, loc);
      }
    };
  }

  private pointer(node: NodeOf<'pointer'>): Code {
    switch (node.name) {
      case '':
        return item;
      case 'index':
        return (c) => c.scopes[c.scopes.length - 1].index;
      case 'acc':
        return (c) => c.scopes[c.scopes.length - 1].acc;
      default:
        throw new ExprError(`unknown pointer #${node.name}`, node.loc);
    }
  }

  private builtin(node: NodeOf<'builtin'>): Code {
    const loc = node.loc;
    const args = node.args.map((a) => this.compile(a));
    const loop = PREDICATE_LOOPS[node.name];
    if (loop !== undefined) {
      const collection = args[0];
      const rest = args.slice(1);
      return (c) => {
        c.budget.step();
        const v = collection(c);
        let items: readonly Value[];
        try {
          items = iterable(v);
        } catch (e) {
          throw at(e, loc);
        }
        const scope: Scope = { items, index: 0, acc: null };
        c.scopes.push(scope);
        try {
          return loop(c, scope, rest, loc);
        } catch (e) {
          throw at(e, loc);
        } finally {
          c.scopes.pop();
        }
      };
    }
    const fn = BUILTINS[node.name];
    if (fn === undefined) throw new ExprError(`unknown builtin ${node.name}`, loc);
    return (c) => {
      c.budget.step();
      const values = args.map((a) => a(c));
      try {
        chargeArguments(values, c.budget);
        return fn.run(values, c.budget);
      } catch (e) {
        throw at(e, loc);
      }
    };
  }
}

/** Go's failed `.(T)` assertion text. */
function conversionMessage(v: Value, want: string): string {
  try {
    return conversionError(v, want);
  } catch (e) {
    return (e as Error).message;
  }
}

function matchWith(re: Regex, a: Value, budget: Budget): boolean {
  if (a === null) return false;
  let s: string;
  if (typeof a === 'string') s = a;
  else if (a instanceof Bytes) s = Buffer.from(a.data).toString('utf8');
  else return conversionError(a, '[]uint8');
  budget.scan(s.length * 4);
  return re.test(s);
}

/** A builtin's work is about linear in the size of its arguments: charge that before it runs. */
function chargeArguments(values: Value[], budget: Budget): void {
  for (const v of values) {
    if (typeof v === 'string') budget.scan(v.length);
    else if (Array.isArray(v)) budget.scan(v.length * 64);
    else if (v instanceof Map || v instanceof AnyMap) budget.scan(v.size * 64);
  }
}

/** The predicate as a condition: its value must be a bool (Go's OpJumpIfFalse/True assertions). */
function condition(v: Value): boolean {
  return typeof v === 'boolean' ? v : conversionError(v, 'bool');
}

type Loop = (c: Ctx, s: Scope, args: Code[], loc: Loc) => Value;

function each(c: Ctx, s: Scope, body: () => boolean | void): void {
  for (s.index = 0; s.index < s.items.length; s.index++) {
    c.budget.step();
    if (body() === true) return;
  }
}

function eachBackwards(c: Ctx, s: Scope, body: () => boolean | void): void {
  for (s.index = s.items.length - 1; s.index >= 0; s.index--) {
    c.budget.step();
    if (body() === true) return;
  }
}

const PREDICATE_LOOPS: Record<string, Loop> = {
  all: (c, s, [pred]) => {
    let out = true;
    each(c, s, () => {
      if (!condition(pred(c))) {
        out = false;
        return true;
      }
    });
    return out;
  },
  none: (c, s, [pred]) => {
    let out = true;
    each(c, s, () => {
      if (condition(pred(c))) {
        out = false;
        return true;
      }
    });
    return out;
  },
  any: (c, s, [pred]) => {
    let out = false;
    each(c, s, () => {
      if (condition(pred(c))) {
        out = true;
        return true;
      }
    });
    return out;
  },
  one: (c, s, [pred]) => {
    let n = 0;
    each(c, s, () => {
      if (condition(pred(c))) n++;
    });
    return n === 1;
  },
  filter: (c, s, [pred]) => {
    const out: Value[] = [];
    each(c, s, () => {
      if (condition(pred(c))) out.push(s.items[s.index]);
    });
    c.budget.grow(out.length);
    return out;
  },
  map: (c, s, [pred]) => {
    const out: Value[] = [];
    each(c, s, () => {
      out.push(pred(c));
    });
    c.budget.grow(out.length);
    return out;
  },
  count: (c, s, [pred]) => {
    let n = 0;
    each(c, s, () => {
      if (condition(pred === undefined ? s.items[s.index] : pred(c))) n++;
    });
    return n;
  },
  sum: (c, s, [pred]) => {
    s.acc = 0;
    each(c, s, () => {
      s.acc = add(pred === undefined ? s.items[s.index] : pred(c), s.acc, c.budget);
    });
    return s.acc;
  },
  find: (c, s, [pred]) => {
    let out: Value = null;
    each(c, s, () => {
      if (condition(pred(c))) {
        out = s.items[s.index];
        return true;
      }
    });
    return out;
  },
  findIndex: (c, s, [pred]) => {
    let out: Value = null;
    each(c, s, () => {
      if (condition(pred(c))) {
        out = s.index;
        return true;
      }
    });
    return out;
  },
  findLast: (c, s, [pred]) => {
    let out: Value = null;
    eachBackwards(c, s, () => {
      if (condition(pred(c))) {
        out = s.items[s.index];
        return true;
      }
    });
    return out;
  },
  findLastIndex: (c, s, [pred]) => {
    let out: Value = null;
    eachBackwards(c, s, () => {
      if (condition(pred(c))) {
        out = s.index;
        return true;
      }
    });
    return out;
  },
  groupBy: (c, s, [pred]) => {
    const out = new AnyMap();
    each(c, s, () => {
      const key = pred(c);
      if (Array.isArray(key) || isMap(key)) fail(`runtime error: hash of unhashable type ${goType(key)}`);
      const group = out.get(key);
      if (Array.isArray(group)) group.push(s.items[s.index]);
      else out.set(key, [s.items[s.index]]);
    });
    return out;
  },
  sortBy: (c, s, [pred, order]) => {
    const dir = order === undefined ? 'asc' : order(c);
    if (typeof dir !== 'string') fail('sortBy order argument must be a string');
    if (dir !== 'asc' && dir !== 'desc') fail('unknown order, use asc or desc');
    const pairs: [Value, Value][] = [];
    each(c, s, () => {
      pairs.push([s.items[s.index], pred(c)]);
    });
    c.budget.step(pairs.length * Math.max(1, Math.ceil(Math.log2(pairs.length + 1))));
    const desc = dir === 'desc';
    const lt = (a: Value, b: Value): boolean => less(a, b, c.budget);
    pairs.sort(([, a], [, b]) => (desc ? (lt(b, a) ? -1 : lt(a, b) ? 1 : 0) : lt(a, b) ? -1 : lt(b, a) ? 1 : 0));
    c.budget.grow(pairs.length);
    return pairs.map(([x]) => x);
  },
  reduce: (c, s, [pred, init]) => {
    let start = 0;
    if (init !== undefined) {
      s.acc = init(c);
    } else {
      if (s.items.length === 0) fail('reduce of empty array with no initial value');
      s.acc = s.items[0];
      start = 1;
    }
    for (s.index = start; s.index < s.items.length; s.index++) {
      c.budget.step();
      s.acc = pred(c);
    }
    return s.acc;
  },
};
