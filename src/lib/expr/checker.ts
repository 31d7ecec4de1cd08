/**
 * expr-lang's type checker (checker/checker.go), reduced to the natures an expression over Lua data can have:
 * it refuses at compile time what Go refuses (mismatched operator types, unknown names in a strict environment,
 * wrong builtin arguments), with the same messages, and lets everything unknown through to run time.
 */
import type { MemberNode, Node, NodeOf } from './ast';
import { BUILTINS } from './builtins';
import { ExprError } from './errors';
import { DURATION_METHODS, TIME_METHODS, ZONE_METHODS } from './methods';
import {
  ANY,
  ANY_MAP,
  arrayOf,
  assignable,
  BOOL,
  BYTES,
  DURATION,
  FLOAT,
  INT,
  isNumber,
  isUnknown,
  MAP,
  NIL,
  PARAM,
  resultNature,
  STRING,
  TIME,
  UNKNOWN,
  type Nature,
} from './natures';
import { compileRegex } from './regex';

interface PredicateScope {
  readonly collection: Nature;
  readonly vars: ReadonlyMap<string, Nature>;
}

const isArray = (n: Nature): boolean => n.kind === 'array' || n.kind === 'bytes';
const isTime = (n: Nature): boolean => n.kind === 'time';
const isDuration = (n: Nature): boolean => n.kind === 'duration';

type Check = 'bool' | 'string' | 'integer' | 'number' | 'map' | 'array' | 'time' | 'duration';

function isAnyOf(n: Nature, checks: Check[]): boolean {
  return checks.some((c) => {
    switch (c) {
      case 'bool':
        return n.kind === 'bool';
      case 'string':
        return n.kind === 'string';
      case 'integer':
        return n.kind === 'int';
      case 'number':
        return isNumber(n);
      case 'map':
        return n.kind === 'map';
      case 'array':
        return isArray(n);
      case 'time':
        return isTime(n);
      case 'duration':
        return isDuration(n);
    }
  });
}

/** Go's MaybeCompatible: both unknown, or one unknown and the other of one of the kinds. */
function maybe(l: Nature, r: Nature, ...checks: Check[]): boolean {
  return (isUnknown(l) && isUnknown(r)) || (isUnknown(l) && isAnyOf(r, checks)) || (isUnknown(r) && isAnyOf(l, checks));
}

function comparable(l: Nature, r: Nature): boolean {
  return (
    isUnknown(l) ||
    isUnknown(r) ||
    l.kind === 'nil' ||
    r.kind === 'nil' ||
    (isNumber(l) && isNumber(r)) ||
    (isDuration(l) && isDuration(r)) ||
    (isTime(l) && isTime(r)) ||
    (isArray(l) && isArray(r)) ||
    assignable(l, r)
  );
}

function promote(l: Nature, r: Nature): Nature {
  if (isUnknown(l) || isUnknown(r)) return UNKNOWN;
  return l.kind === 'float' || r.kind === 'float' ? FLOAT : INT;
}

export interface CheckOptions {
  /** The compile environment's nature (a strict map), or null when no environment was given. */
  readonly env: Nature | null;
}

export class Checker {
  private readonly predicates: PredicateScope[] = [];
  private readonly vars: { name: string; nature: Nature }[] = [];

  constructor(private readonly options: CheckOptions) {}

  error(node: { loc: Node['loc'] }, message: string): never {
    throw new ExprError(message, node.loc);
  }

  visit(node: Node): Nature {
    switch (node.k) {
      case 'nil':
        return NIL;
      case 'bool':
        return BOOL;
      case 'int':
        return INT;
      case 'float':
        return FLOAT;
      case 'string':
        return STRING;
      case 'bytes':
        return BYTES;
      case 'ident':
        return this.identifier(node);
      case 'unary':
        return this.unary(node);
      case 'binary':
        return this.binary(node);
      case 'chain':
        return this.visit(node.node);
      case 'member':
        return this.member(node);
      case 'slice':
        return this.slice(node);
      case 'call':
        return this.call(node);
      case 'builtin':
        return this.builtin(node);
      case 'predicate': {
        const out = this.visit(node.node);
        return { kind: 'predicate', name: 'func(interface {}) interface {}', out };
      }
      case 'pointer':
        return this.pointer(node);
      case 'let':
        return this.declaration(node);
      case 'seq': {
        let last = UNKNOWN;
        for (const n of node.nodes) last = this.visit(n);
        return last;
      }
      case 'cond':
        return this.conditional(node);
      case 'array': {
        let prev: Nature | null = null;
        let same = true;
        for (const n of node.nodes) {
          const cur = this.visit(n);
          if (prev !== null && cur.kind !== prev.kind) same = false;
          prev = cur;
        }
        return same && prev !== null ? arrayOf(prev) : arrayOf();
      }
      case 'map':
        for (const pair of node.pairs) {
          this.visit(pair.key);
          this.visit(pair.value);
        }
        return MAP;
    }
  }

  private lookupEnv(name: string): Nature | undefined {
    return this.options.env?.fields?.get(name);
  }

  identifier(node: NodeOf<'ident'>): Nature {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === node.name) return this.vars[i].nature;
    if (node.name === '$env') return UNKNOWN;
    return this.ident(node, node.name, true, true);
  }

  private ident(node: Node, name: string, strict: boolean, builtins: boolean): Nature {
    const known = this.lookupEnv(name);
    if (known !== undefined) return known;
    if (builtins && BUILTINS[name] !== undefined) return { kind: 'func', name: 'func', builtin: name };
    if (this.options.env?.strict === true && strict) this.error(node, `unknown name ${name}`);
    return UNKNOWN;
  }

  unary(node: NodeOf<'unary'>): Nature {
    const n = this.visit(node.node);
    switch (node.op) {
      case '!':
      case 'not':
        if (n.kind === 'bool' || isUnknown(n)) return BOOL;
        break;
      case '+':
      case '-':
        if (isNumber(n)) return n;
        if (isUnknown(n)) return UNKNOWN;
        break;
      default:
        this.error(node, `unknown operator (${node.op})`);
    }
    return this.error(node, `invalid operation: ${node.op} (mismatched type ${n.name})`);
  }

  binary(node: NodeOf<'binary'>): Nature {
    const l = this.visit(node.left);
    const r = this.visit(node.right);
    switch (node.op) {
      case '==':
      case '!=':
        if (comparable(l, r)) return BOOL;
        break;
      case 'or':
      case '||':
      case 'and':
      case '&&':
        if ((l.kind === 'bool' && r.kind === 'bool') || maybe(l, r, 'bool')) return BOOL;
        break;
      case '<':
      case '>':
      case '>=':
      case '<=':
        if (
          (isNumber(l) && isNumber(r)) ||
          (l.kind === 'string' && r.kind === 'string') ||
          (isTime(l) && isTime(r)) ||
          (isDuration(l) && isDuration(r)) ||
          maybe(l, r, 'number', 'string', 'time', 'duration')
        ) {
          return BOOL;
        }
        break;
      case '-':
        if (isNumber(l) && isNumber(r)) return promote(l, r);
        if (isTime(l) && isTime(r)) return DURATION;
        if (isTime(l) && isDuration(r)) return TIME;
        if (isDuration(l) && isDuration(r)) return DURATION;
        if (maybe(l, r, 'number', 'time', 'duration')) return UNKNOWN;
        break;
      case '*':
        if (isNumber(l) && isNumber(r)) return promote(l, r);
        if ((isNumber(l) || isDuration(l)) && (isNumber(r) || isDuration(r))) return DURATION;
        if (maybe(l, r, 'number', 'duration')) return UNKNOWN;
        break;
      case '/':
      case '**':
      case '^':
        if ((isNumber(l) && isNumber(r)) || maybe(l, r, 'number')) return FLOAT;
        break;
      case '%':
        if ((l.kind === 'int' && r.kind === 'int') || maybe(l, r, 'integer')) return INT;
        break;
      case '+':
        if (isNumber(l) && isNumber(r)) return promote(l, r);
        if (l.kind === 'string' && r.kind === 'string') return STRING;
        if ((isTime(l) && isDuration(r)) || (isDuration(l) && isTime(r))) return TIME;
        if (isDuration(l) && isDuration(r)) return DURATION;
        if (maybe(l, r, 'number', 'string', 'time', 'duration')) return UNKNOWN;
        break;
      case 'in':
        if (r.kind === 'map') {
          if (!isUnknown(l) && l.kind !== 'string' && r.name === MAP.name) {
            this.error(node, `cannot use ${l.name} as type string in map key`);
          }
          return BOOL;
        }
        if (isArray(r)) {
          const elem = r.elem ?? ANY;
          if (!comparable(l, elem)) this.error(node, `cannot use ${l.name} as type ${elem.name} in array`);
          return BOOL;
        }
        if (isUnknown(l) && isAnyOf(r, ['string', 'array', 'map'])) return BOOL;
        if (isUnknown(r)) return BOOL;
        break;
      case 'matches':
        if (node.right.k === 'string') {
          const err = compileRegex(node.right.value);
          if (typeof err === 'string') this.error(node, err);
        }
        if (((l.kind === 'string' || l.kind === 'bytes') && r.kind === 'string') || maybe(l, r, 'string')) return BOOL;
        break;
      case 'contains':
      case 'startsWith':
      case 'endsWith':
        if ((l.kind === 'string' && r.kind === 'string') || maybe(l, r, 'string')) return BOOL;
        break;
      case '..':
        if ((l.kind === 'int' && r.kind === 'int') || maybe(l, r, 'integer')) return arrayOf(INT);
        break;
      case '??':
        if (l.kind === 'nil' && r.kind !== 'nil') return r;
        if (l.kind !== 'nil' && r.kind === 'nil') return l;
        if (l.kind === 'nil' && r.kind === 'nil') return NIL;
        return assignable(r, l) ? l : UNKNOWN;
      default:
        this.error(node, `unknown operator (${node.op})`);
    }
    return this.error(node, `invalid operation: ${node.op} (mismatched types ${l.name} and ${r.name})`);
  }

  member(node: MemberNode): Nature {
    if (node.node.k === 'ident' && node.node.name === '$env') {
      if (node.property.k === 'string') {
        return this.ident(node, node.property.value, !node.optional, false);
      }
      return UNKNOWN;
    }
    const base = this.visit(node.node);
    const prop = this.visit(node.property);
    if (isUnknown(base)) return UNKNOWN;
    const name = node.property.k === 'string' ? node.property.value : null;
    if (name !== null) {
      if (base.kind === 'nil') this.error(node, `type nil has no field ${name}`);
      const method = methodNature(base, name);
      if (method !== null) return method;
    }
    switch (base.kind) {
      case 'map':
        if (base.name === MAP.name && prop.kind !== 'string' && !isUnknown(prop)) {
          this.error(node.property, `cannot use ${prop.name} to get an element from ${base.name}`);
        }
        if (name !== null && base.fields !== undefined) {
          const field = base.fields.get(name);
          if (field !== undefined) return field;
          if (base.strict === true) this.error(node.property, `unknown field ${name}`);
        }
        return base.elem ?? ANY;
      case 'array':
      case 'bytes':
        if (prop.kind !== 'int' && !isUnknown(prop)) {
          this.error(node.property, `array elements can only be selected using an integer (got ${prop.name})`);
        }
        return base.elem ?? ANY;
    }
    if (name !== null) {
      this.error(node, node.method ? `type ${base.name} has no method ${name}` : `type ${base.name} has no field ${name}`);
    }
    return this.error(node, `type ${base.name}[${prop.name}] is undefined`);
  }

  slice(node: NodeOf<'slice'>): Nature {
    const n = this.visit(node.node);
    if (isUnknown(n)) return UNKNOWN;
    if (n.kind !== 'string' && !isArray(n)) this.error(node, `cannot slice ${n.name}`);
    for (const bound of [node.from, node.to]) {
      if (bound === null) continue;
      const b = this.visit(bound);
      if (b.kind !== 'int' && !isUnknown(b)) this.error(bound, `non-integer slice index ${b.name}`);
    }
    return n;
  }

  call(node: NodeOf<'call'>): Nature {
    if (node.callee.k === 'ident' && node.callee.name === '$env') {
      this.error(node, `${this.options.env === null ? 'unknown' : MAP.name} is not callable`);
    }
    const callee = this.visit(node.callee);
    if (isUnknown(callee)) {
      for (const arg of node.args) this.visit(arg);
      return UNKNOWN;
    }
    if (callee.builtin !== undefined) return this.checkBuiltin(callee.builtin, node, node.args);
    let fnName = 'function';
    if (node.callee.k === 'ident') fnName = node.callee.name;
    if (node.callee.k === 'member' && node.callee.property.k === 'string') fnName = node.callee.property.value;
    if (callee.kind === 'nil') this.error(node, `${fnName} is nil; cannot call nil as function`);
    if (callee.method !== undefined) {
      return this.checkArguments(fnName, { params: callee.method.params, out: callee.method.result }, node, node.args);
    }
    if (callee.kind === 'func') {
      for (const arg of node.args) this.visit(arg);
      return UNKNOWN;
    }
    return this.error(node, `${callee.name} is not callable`);
  }

  builtin(node: NodeOf<'builtin'>): Nature {
    const args = node.args;
    switch (node.name) {
      case 'all':
      case 'none':
      case 'any':
      case 'one':
      case 'filter':
      case 'count':
      case 'find':
      case 'findLast':
      case 'findIndex':
      case 'findLastIndex': {
        const collection = this.collection(node);
        if (node.name === 'count' && args.length === 1) return INT;
        const out = this.predicate(args[1], collection, new Map());
        if (out.kind !== 'bool' && !isUnknown(out)) {
          this.error(args[1], `predicate should return boolean (got ${out.name})`);
        }
        switch (node.name) {
          case 'filter':
            return isUnknown(collection) ? arrayOf() : arrayOf(collection.elem ?? ANY);
          case 'count':
          case 'findIndex':
          case 'findLastIndex':
            return INT;
          case 'find':
          case 'findLast':
            return isUnknown(collection) ? UNKNOWN : collection.elem ?? ANY;
          default:
            return BOOL;
        }
      }
      case 'map': {
        const collection = this.collection(node);
        return arrayOf(this.predicate(args[1], collection, new Map([['index', INT]])));
      }
      case 'sum': {
        const collection = this.collection(node);
        if (args.length === 2) return this.predicate(args[1], collection, new Map());
        return isUnknown(collection) ? UNKNOWN : collection.elem ?? ANY;
      }
      case 'groupBy': {
        const collection = this.collection(node);
        this.predicate(args[1], collection, new Map());
        return ANY_MAP;
      }
      case 'sortBy': {
        const collection = this.collection(node);
        this.predicate(args[1], collection, new Map());
        if (args.length === 3) {
          const order = this.visit(args[2]);
          if (order.kind !== 'string' && !isUnknown(order)) {
            this.error(args[2], `sortBy order argument must be a string (got ${order.name})`);
          }
        }
        return collection;
      }
      case 'reduce': {
        const collection = this.collection(node);
        const out = this.predicate(args[1], collection, new Map([['index', INT], ['acc', UNKNOWN]]));
        if (args.length === 3) this.visit(args[2]);
        return out;
      }
      case 'get':
        return this.checkGet(node);
    }
    return this.checkBuiltin(node.name, node, args);
  }

  private collection(node: NodeOf<'builtin'>): Nature {
    const collection = this.visit(node.args[0]);
    if (!isArray(collection) && !isUnknown(collection)) {
      this.error(node.args[0], `builtin ${node.name} takes only array (got ${collection.name})`);
    }
    return collection;
  }

  private predicate(arg: Node, collection: Nature, vars: ReadonlyMap<string, Nature>): Nature {
    this.predicates.push({ collection, vars });
    try {
      const n = this.visit(arg);
      return n.out ?? n;
    } finally {
      this.predicates.pop();
    }
  }

  private checkGet(node: NodeOf<'builtin'>): Nature {
    if (node.args.length !== 2) this.error(node, `invalid number of arguments (expected 2, got ${node.args.length})`);
    const base = this.visit(node.args[0]);
    const prop = this.visit(node.args[1]);
    if (node.args[0].k === 'ident' && node.args[0].name === '$env') {
      return node.args[1].k === 'string' ? this.lookupEnv(node.args[1].value) ?? UNKNOWN : UNKNOWN;
    }
    if (isUnknown(base)) return UNKNOWN;
    if (isArray(base)) {
      if (prop.kind !== 'int' && !isUnknown(prop)) this.error(node.args[1], `non-integer slice index ${prop.name}`);
      return base.elem ?? ANY;
    }
    if (base.kind === 'map') {
      if (base.name === MAP.name && prop.kind !== 'string' && !isUnknown(prop)) {
        this.error(node.args[1], `cannot use ${prop.name} to get an element from ${base.name}`);
      }
      return base.elem ?? ANY;
    }
    return this.error(node.args[0], `type ${base.name} does not support indexing`);
  }

  private checkBuiltin(name: string, node: Node, args: Node[]): Nature {
    const fn = BUILTINS[name];
    if (fn === undefined) return this.error(node, `unknown builtin ${name}`);
    if (fn.validate !== undefined) {
      const natures = args.map((a) => {
        const n = this.visit(a);
        return isUnknown(n) ? ANY : n;
      });
      const out = fn.validate(natures);
      if (typeof out === 'string') this.error(node, out);
      return out;
    }
    if (fn.types === undefined) {
      for (const a of args) this.visit(a);
      return UNKNOWN;
    }
    let last: ExprError | null = null;
    for (const signature of fn.types) {
      try {
        return this.checkArguments(name, signature, node, args);
      } catch (e) {
        if (!(e instanceof ExprError)) throw e;
        last = e;
      }
    }
    throw last ?? new ExprError(`no matching overload for ${name}`, node.loc);
  }

  /** Go's checkArguments against one signature. */
  private checkArguments(
    name: string,
    fn: { readonly params: readonly string[]; readonly variadic?: boolean; readonly out: Nature },
    node: Node,
    args: Node[],
  ): Nature {
    const numIn = fn.params.length;
    let err: string | null = null;
    if (fn.variadic === true) {
      if (args.length < numIn - 1) err = `not enough arguments to call ${name}`;
    } else {
      if (args.length > numIn) err = `too many arguments to call ${name}`;
      if (args.length < numIn) err = `not enough arguments to call ${name}`;
    }
    if (err !== null) {
      for (const a of args) this.visit(a);
      this.error(node, err);
    }
    args.forEach((arg, i) => {
      const n = this.visit(arg);
      const param = PARAM[fn.variadic === true && i >= numIn - 1 ? fn.params[numIn - 1] : fn.params[i]] ?? ANY;
      if (param.kind === 'float' && n.kind === 'int') return;
      if (param.kind === 'int' && n.kind === 'int') return;
      if (n.kind === 'nil') {
        if (param.kind === 'location' || param.name === 'interface {}') return;
        this.error(arg, `cannot use nil as argument (type ${param.name}) to call ${name}`);
      }
      if (!assignable(n, param) && !isUnknown(n)) {
        this.error(arg, `cannot use ${n.name} as argument (type ${param.name}) to call ${name} `);
      }
    });
    return fn.out;
  }

  pointer(node: NodeOf<'pointer'>): Nature {
    if (this.predicates.length === 0) this.error(node, 'cannot use pointer accessor outside predicate');
    const scope = this.predicates[this.predicates.length - 1];
    if (node.name === '') {
      if (isUnknown(scope.collection)) return UNKNOWN;
      if (isArray(scope.collection)) return scope.collection.elem ?? ANY;
      return this.error(node, `cannot use ${scope.collection.name} as array`);
    }
    const v = scope.vars.get(node.name);
    return v ?? this.error(node, `unknown pointer #${node.name}`);
  }

  declaration(node: NodeOf<'let'>): Nature {
    if (this.lookupEnv(node.name) !== undefined) this.error(node, `cannot redeclare ${node.name}`);
    if (BUILTINS[node.name] !== undefined || isPredicateBuiltin(node.name)) this.error(node, `cannot redeclare builtin ${node.name}`);
    if (this.vars.some((v) => v.name === node.name)) this.error(node, `cannot redeclare variable ${node.name}`);
    const nature = this.visit(node.value);
    this.vars.push({ name: node.name, nature });
    try {
      return this.visit(node.expr);
    } finally {
      this.vars.pop();
    }
  }

  conditional(node: NodeOf<'cond'>): Nature {
    const c = this.visit(node.cond);
    if (c.kind !== 'bool' && !isUnknown(c)) this.error(node.cond, `non-bool expression (type ${c.name}) used as condition`);
    const t1 = this.visit(node.then);
    const t2 = this.visit(node.else);
    if (t1.kind === 'nil' && t2.kind !== 'nil') return t2;
    if (t1.kind !== 'nil' && t2.kind === 'nil') return t1;
    if (t1.kind === 'nil' && t2.kind === 'nil') return NIL;
    return assignable(t1, t2) ? t1 : UNKNOWN;
  }
}

const PREDICATE_BUILTINS = new Set(['all', 'none', 'any', 'one', 'filter', 'map', 'count', 'sum', 'find', 'findIndex', 'findLast', 'findLastIndex', 'groupBy', 'sortBy', 'reduce']);

const isPredicateBuiltin = (name: string): boolean => PREDICATE_BUILTINS.has(name);

function methodNature(base: Nature, name: string): Nature | null {
  const table = base.kind === 'time' ? TIME_METHODS : base.kind === 'duration' ? DURATION_METHODS : base.kind === 'location' ? ZONE_METHODS : null;
  const m = table === null ? undefined : table[name];
  if (m === undefined) return null;
  const params = m.params.map((p) => (p === 'time' ? 'time.Time' : p === 'duration' ? 'time.Duration' : p === 'location' ? '*time.Location' : p));
  return { kind: 'func', name: 'func', method: { params, result: resultNature(m.result) } };
}
