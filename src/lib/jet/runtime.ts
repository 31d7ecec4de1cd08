/**
 * Executes parsed templates (Jet's eval.go): scopes of variables, blocks and yields, includes, ranges, pipes
 * and the escaping of action output. Runtime errors read `Jet Runtime Error ("<path>":<line>): <message>`, as
 * Jet's. A render is bounded by RenderLimits: steps, output size and how deeply includes and yields nest.
 */
import { strconvQuote } from '../goquote';
import { Bytes, Float } from '../expr/values';
import type { BlockNode, BlockParameter, CallArgs, Command, Expr, ExprOf, List, SetNode, Stmt, StmtOf } from './ast';
import { T } from './lexer';
import { exprText, type Template } from './parser';
import {
  CaughtError,
  GoFunc,
  htmlEscape,
  Iface,
  IntsRanger,
  isFloatValue,
  isIntValue,
  isNumeric,
  JetError,
  kindName,
  NativeFunc,
  numeric,
  printValue,
  Renderer,
  SafeWriter,
  typeString,
  unwrap,
  formatV,
  type Value,
} from './values';

export interface RenderLimits {
  /** Statements and expressions one render may evaluate. */
  readonly maxSteps: number;
  /** The longest output (UTF-16 units) one render may produce. */
  readonly maxOutput: number;
  /** How deeply includes, yields and exec may nest. */
  readonly maxDepth: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = Object.freeze({ maxSteps: 3_000_000, maxOutput: 16 * 1024 * 1024, maxDepth: 100 });

/** What a render needs from its set. */
export interface SetAccess {
  readonly globals: ReadonlyMap<string, Value>;
  readonly defaults: ReadonlyMap<string, Value>;
  /** The template at `path` relative to the template at `from` (Jet's getSiblingTemplate). */
  sibling(path: string, from: string): Template;
}

interface Scope {
  readonly parent: Scope | null;
  readonly variables: Map<string, Value>;
  blocks: ReadonlyMap<string, BlockNode>;
}

/** A runtime error at a node. */
export function nodeError(at: { path: string; line: number }, message: string): JetError {
  return new JetError(`Jet Runtime Error (${strconvQuote(at.path)}:${at.line}): ${message}`);
}

/** The absence of a value, as Go's invalid reflect.Value (`return` not reached, a missing map key). */
const NONE = null;

class Output {
  chunks: string[] = [];
}

/** Jet's Arguments: a Func's arguments, evaluated when asked for. */
export class Arguments {
  constructor(
    readonly runtime: Runtime,
    private readonly args: CallArgs,
    private readonly piped: Value | undefined,
  ) {}

  private get pipedFirst(): boolean {
    return this.piped !== undefined && !this.args.hasPipeSlot;
  }

  get count(): number {
    return this.args.exprs.length + (this.pipedFirst ? 1 : 0);
  }

  get(i: number): Value {
    if (i < 0) return null;
    if (this.pipedFirst) {
      if (i === 0) return this.piped as Value;
      i--;
    }
    if (i >= this.args.exprs.length) return null;
    const e = this.args.exprs[i];
    return e.k === 'underscore' ? (this.piped ?? null) : this.runtime.evaluate(e);
  }

  isSet(i: number): boolean {
    if (i < 0) return false;
    if (this.pipedFirst) {
      if (i === 0) return true;
      i--;
    }
    if (i >= this.args.exprs.length) return false;
    const e = this.args.exprs[i];
    return e.k === 'underscore' ? this.piped !== undefined : this.runtime.isSet(e);
  }

  require(name: string, min: number, max: number): void {
    const n = this.count;
    if ((min >= 0 && n < min) || (max >= 0 && n > max)) throw new JetError(`unexpected number of arguments in a call to ${name}`);
  }
}

export class Runtime {
  private scope: Scope;
  context: Value = null;
  private content: ((rt: Runtime, expr: Expr | null) => void) | null = null;
  private out = new Output();
  private size = 0;
  private steps = 0;
  private depth = 0;

  constructor(
    private readonly set: SetAccess,
    variables: Map<string, Value>,
    blocks: ReadonlyMap<string, BlockNode>,
    private readonly limits: RenderLimits,
  ) {
    this.scope = { parent: null, variables, blocks };
  }

  /** Runs `root` and returns the output. */
  run(root: List): string {
    this.executeList(root);
    return this.out.chunks.join('');
  }

  write(text: string): void {
    if (text === '') return;
    this.size += text.length;
    if (this.size > this.limits.maxOutput) throw new JetError(`template output too large (more than ${this.limits.maxOutput} characters)`);
    this.out.chunks.push(text);
  }

  private step(): void {
    if (++this.steps > this.limits.maxSteps) throw new JetError(`template render exceeded its step budget (${this.limits.maxSteps} steps)`);
  }

  /** Runs `f` one nesting level deeper (include, yield, exec), refusing past the limit. */
  nested<R>(at: { path: string; line: number }, what: string, f: () => R): R {
    if (this.depth >= this.limits.maxDepth) throw nodeError(at, `maximum '${what}' depth (${this.limits.maxDepth}) exceeded`);
    this.depth++;
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  private newScope(): void {
    this.scope = { parent: this.scope, variables: new Map(), blocks: this.scope.blocks };
  }

  private releaseScope(): void {
    this.scope = this.scope.parent as Scope;
  }

  private getBlock(name: string): BlockNode | undefined {
    for (let s: Scope | null = this.scope; s !== null; s = s.parent) {
      const b = s.blocks.get(name);
      if (b !== undefined) return b;
    }
    return undefined;
  }

  /** Jet's resolve: ".", then the variables of every scope outwards, the set's globals, the built-ins. */
  resolve(name: string): Value | JetError {
    if (name === '.') return this.context;
    for (let s: Scope | null = this.scope; s !== null; s = s.parent) {
      if (s.variables.has(name)) return unwrap(s.variables.get(name) as Value);
    }
    if (this.set.globals.has(name)) return unwrap(this.set.globals.get(name) as Value);
    if (this.set.defaults.has(name)) return this.set.defaults.get(name) as Value;
    return new JetError(
      `identifier ${strconvQuote(name)} not available in current (${formatVars(this.scope.variables)}) or parent scope, global, or default variables`,
    );
  }

  private setValue(name: string, value: Value): string | null {
    for (let s: Scope | null = this.scope; s !== null; s = s.parent) {
      if (s.variables.has(name)) {
        s.variables.set(name, value);
        return null;
      }
    }
    return `could not assign ${strconvQuote(name)} = ${formatV(value)} because variable ${strconvQuote(name)} is uninitialised`;
  }

  private executeSet(left: Expr, right: Value): void {
    if (left.k === 'ident') {
      const err = this.setValue(left.name, right);
      if (err !== null) throw nodeError(left, err);
      return;
    }
    let value: Value;
    let fields: string[];
    if (left.k === 'chain') {
      value = this.evaluate(left.node);
      fields = left.fields;
    } else if (left.k === 'field') {
      value = this.context;
      fields = left.idents;
    } else {
      return;
    }
    for (let i = 0; i < fields.length - 1; i++) value = this.resolveIndex(left, value, fields[i]);
    value = unwrap(value);
    if (value instanceof Map) (value as Map<string, Value>).set(fields[fields.length - 1], right);
  }

  private executeSetList(set: SetNode): void {
    if (set.indexExprGetLookup) {
      const value = this.evaluate(set.right[0]);
      if (set.left[0].k !== 'underscore') this.executeSet(set.left[0], value);
      if (set.left[1].k !== 'underscore') this.executeSet(set.left[1], value !== NONE);
      return;
    }
    for (let i = 0; i < set.left.length; i++) {
      const value = this.evaluate(set.right[i]);
      if (set.left[i].k !== 'underscore') this.executeSet(set.left[i], value);
    }
  }

  private executeLetList(set: SetNode): void {
    const vars = this.scope.variables;
    if (set.indexExprGetLookup) {
      const value = this.evaluate(set.right[0]);
      const [a, b] = set.left;
      if (a.k === 'ident') vars.set(a.name, value);
      if (b.k === 'ident') vars.set(b.name, value !== NONE);
      return;
    }
    for (let i = 0; i < set.left.length; i++) {
      const value = this.evaluate(set.right[i]);
      const l = set.left[i];
      if (l.k === 'ident') vars.set(l.name, value);
    }
  }

  private executeYieldBlock(block: BlockNode, yieldParams: BlockParameter[], context: Expr | null, content: List | null): void {
    const blockParams = block.params;
    const needScope = blockParams.length > 0 || yieldParams.length > 0;
    if (needScope) {
      this.newScope();
      const vars = this.scope.variables;
      for (const p of yieldParams) {
        if (p.expr === null) throw nodeError(block, `missing name for block parameter '${p.identifier}'`);
        vars.set(p.identifier, this.evaluate(p.expr));
      }
      for (const p of blockParams) {
        if (!vars.has(p.identifier)) vars.set(p.identifier, p.expr === null ? false : this.evaluate(p.expr));
      }
    }
    const outerContent = this.content;
    if (content !== null) {
      const scope = this.scope;
      this.content = (rt, expr) => {
        const savedScope = rt.scope;
        const savedContent = rt.content;
        rt.scope = scope;
        rt.content = outerContent;
        try {
          if (expr !== null) {
            const saved = rt.context;
            rt.context = rt.evaluate(expr);
            try {
              rt.executeList(content);
            } finally {
              rt.context = saved;
            }
          } else {
            rt.executeList(content);
          }
        } finally {
          rt.scope = savedScope;
          rt.content = savedContent;
        }
      };
    }
    try {
      if (context !== null) {
        const saved = this.context;
        this.context = this.evaluate(context);
        try {
          this.executeList(block.list);
        } finally {
          this.context = saved;
        }
      } else {
        this.executeList(block.list);
      }
    } finally {
      this.content = outerContent;
      if (needScope) this.releaseScope();
    }
  }

  /** Jet's executeList; the result is the value of a `return` reached (null when none). */
  executeList(list: List): Value {
    let inNewScope = false;
    let returnValue: Value = NONE;
    try {
      for (const node of list.nodes) {
        this.step();
        switch (node.k) {
          case 'text':
            this.write(node.text);
            break;
          case 'action':
            if (node.set !== null) {
              if (node.set.let) {
                if (!inNewScope) {
                  this.newScope();
                  inNewScope = true;
                }
                this.executeLetList(node.set);
              } else {
                this.executeSetList(node.set);
              }
            }
            if (node.pipe !== null) {
              const [v, safe] = this.evalPipeline(node.pipe);
              if (!safe && v !== NONE) {
                if (v instanceof Renderer) v.render((s) => this.write(s));
                else this.write(htmlEscape(printValue(v)));
              }
            }
            break;
          case 'if': {
            let isLet = false;
            if (node.set !== null) {
              if (node.set.let) {
                isLet = true;
                this.newScope();
                this.executeLetList(node.set);
              } else {
                this.executeSetList(node.set);
              }
            }
            try {
              if (isTrue(this.evaluate(node.expr as Expr))) returnValue = this.executeList(node.list);
              else if (node.elseList !== null) returnValue = this.executeList(node.elseList);
            } finally {
              if (isLet) this.releaseScope();
            }
            break;
          }
          case 'range':
            returnValue = this.executeRange(node);
            break;
          case 'try':
            returnValue = this.executeTry(node);
            break;
          case 'yield':
            if (node.isContent) {
              if (this.content !== null) {
                const content = this.content;
                this.nested(node, 'yield', () => content(this, node.context));
              }
            } else {
              const block = this.getBlock(node.name);
              if (block === undefined) throw nodeError(node, `unresolved block ${strconvQuote(node.name)}!`);
              this.nested(node, 'yield', () => this.executeYieldBlock(block, node.params, node.context, node.content));
            }
            break;
          case 'block': {
            const block = this.getBlock(node.name) ?? node;
            this.nested(node, 'yield', () => this.executeYieldBlock(block, block.params, block.context, block.content));
            break;
          }
          case 'include':
            returnValue = this.executeInclude(node);
            break;
          case 'return':
            returnValue = this.evaluate(node.value);
            break;
        }
      }
    } finally {
      if (inNewScope) this.releaseScope();
    }
    return returnValue;
  }

  private executeRange(node: StmtOf<'range'>): Value {
    const set = node.set;
    let keySlot = 0;
    let valSlot = -1;
    const context = this.context;
    let expression: Value;
    let isLet = false;
    if (set !== null) {
      if (set.left.length > 1) valSlot = 1;
      expression = this.evaluate(set.right[0]);
      if (set.let) {
        isLet = true;
        this.newScope();
      }
    } else {
      expression = this.evaluate(node.expr as Expr);
    }
    let returnValue: Value = NONE;
    try {
      const ranger = rangerOf(expression, node);
      if (!ranger.providesIndex) {
        if (set !== null && set.left.length > 1) throw nodeError(node, 'two-var range over ranger that does not provide an index');
        if (set !== null) [keySlot, valSlot] = [-1, 0];
      }
      let next = ranger.next();
      if (next === null) {
        if (node.elseList !== null) returnValue = this.executeList(node.elseList);
      }
      while (next !== null && returnValue === NONE) {
        this.step();
        const [index, value] = next;
        if (set !== null) {
          if (isLet) {
            if (keySlot >= 0) this.scope.variables.set(exprText(set.left[keySlot]), index);
            if (valSlot >= 0) this.scope.variables.set(exprText(set.left[valSlot]), value);
          } else {
            if (keySlot >= 0) this.executeSet(set.left[keySlot], index);
            if (valSlot >= 0) this.executeSet(set.left[valSlot], value);
          }
        }
        if (valSlot < 0) this.context = value;
        returnValue = this.executeList(node.list);
        next = ranger.next();
      }
    } finally {
      this.context = context;
      if (isLet) this.releaseScope();
    }
    return returnValue;
  }

  private executeTry(node: StmtOf<'try'>): Value {
    const saved = this.out;
    const buffer = new Output();
    this.out = buffer;
    let returnValue: Value = NONE;
    try {
      returnValue = this.executeList(node.list);
      this.out = saved;
      for (const chunk of buffer.chunks) saved.chunks.push(chunk);
      return returnValue;
    } catch (e) {
      this.out = saved;
      if (!(e instanceof JetError)) throw e;
      if (isBoundError(e)) throw e;
      if (!node.hasCatch) return NONE;
      if (node.catchVar !== null) {
        this.newScope();
        this.scope.variables.set(node.catchVar, new CaughtError(e.message));
      }
      try {
        if (node.catchList !== null) returnValue = this.executeList(node.catchList);
      } finally {
        if (node.catchVar !== null) this.releaseScope();
      }
      return returnValue;
    }
  }

  private executeInclude(node: StmtOf<'include'>): Value {
    return this.nested(node, 'include', () => {
      const name = unwrap(this.evaluate(node.name));
      if (name === NONE) throw nodeError(node, 'evaluating name of template to include: name is not a valid value');
      if (typeof name !== 'string') throw nodeError(node, `evaluating name of template to include: unexpected expression type ${strconvQuote(typeString(name))}`);
      let t: Template;
      try {
        t = this.set.sibling(name, node.path);
      } catch (e) {
        if (e instanceof JetError && !isBoundError(e)) throw nodeError(node, e.message);
        throw e;
      }
      return this.runTemplate(t, node.context === null ? undefined : () => this.evaluate(node.context as Expr));
    });
  }

  /** Runs another template's root (the one it extends, if any) in a new scope with its blocks. */
  runTemplate(t: Template, context: (() => Value) | undefined, onlyFirstParent = false): Value {
    this.newScope();
    const saved = this.context;
    try {
      this.scope.blocks = t.blocks;
      if (context !== undefined) this.context = context();
      let root = t.root;
      if (onlyFirstParent) {
        if (t.extends !== null) root = t.extends.root;
      } else {
        for (let p: Template = t; p.extends !== null; p = p.extends) root = p.extends.root;
      }
      return this.executeList(root);
    } finally {
      this.context = saved;
      this.releaseScope();
    }
  }

  /** Runs `f` with output discarded (exec). */
  discarding<R>(f: () => R): R {
    const saved = this.out;
    this.out = new Output();
    try {
      return f();
    } finally {
      this.out = saved;
    }
  }

  // ------------------------------------------------------------------------------------------ expressions

  evaluate(node: Expr): Value {
    this.step();
    switch (node.k) {
      case 'additive':
        return this.additive(node);
      case 'multiplicative':
        return this.multiplicative(node);
      case 'comparative': {
        const equal = checkEquality(this.evaluate(node.left), this.evaluate(node.right));
        return node.op === T.NotEquals ? !equal : equal;
      }
      case 'numericComparative':
        return this.numericComparative(node);
      case 'logical': {
        const left = isTrue(this.evaluate(node.left));
        if (node.op === T.And) return left && isTrue(this.evaluate(node.right));
        return left || isTrue(this.evaluate(node.right));
      }
      case 'not':
        return !isTrue(this.evaluate(node.expr));
      case 'ternary':
        return isTrue(this.evaluate(node.cond)) ? this.evaluate(node.left) : this.evaluate(node.right);
      case 'call': {
        const base = this.evaluateBase(node.base);
        if (!isFuncValue(base)) throw nodeError(node, `node ${strconvQuote(exprText(node.base))} is not func kind ${strconvQuote(typeString(base))}`);
        return this.callFunction(node, base, node.args, undefined);
      }
      case 'index': {
        const base = this.evaluate(node.base);
        const index = this.evaluate(node.index);
        return this.resolveIndexValue(node, base, index);
      }
      case 'slice':
        return this.sliceOf(node);
      default:
        return this.evaluateBase(node);
    }
  }

  private evaluateBase(node: Expr): Value {
    switch (node.k) {
      case 'nil':
        return null;
      case 'bool':
        return node.value;
      case 'string':
        return node.text;
      case 'ident': {
        const v = this.resolve(node.name);
        if (v instanceof JetError) throw nodeError(node, v.message);
        return v;
      }
      case 'field': {
        let resolved: Value = this.context;
        for (const ident of node.idents) {
          const field = this.resolveIndex(node, resolved, ident);
          if (field === NONE) {
            throw nodeError(node, `there is no field or method '${ident}' in ${typeString(resolved)} (.${node.idents.join('.')})`);
          }
          resolved = field;
        }
        return resolved;
      }
      case 'chain':
        return this.chain(node);
      case 'number':
        return node.isFloat ? floatOf(node.value) : node.value;
      case 'underscore':
        throw nodeError(node, 'unexpected node type _ in unary expression evaluating');
      default:
        return this.evaluate(node);
    }
  }

  private chain(node: ExprOf<'chain'>): Value {
    let resolved = this.evaluate(node.node);
    for (let i = 0; i < node.fields.length; i++) {
      const field = this.resolveIndex(node, resolved, node.fields[i]);
      if (field === NONE) {
        if (unwrap(resolved) instanceof Map && i === node.fields.length - 1) return NONE;
        throw nodeError(node, `there is no field or method '${node.fields[i]}' in ${typeString(resolved)} (${exprText(node)})`);
      }
      resolved = field;
    }
    return resolved;
  }

  /** Jet's resolveIndex with a field name. */
  private resolveIndex(at: { path: string; line: number }, v: Value, name: string): Value {
    return this.resolveIndexValue(at, v, name, true);
  }

  private resolveIndexValue(at: { path: string; line: number }, base: Value, index: Value, byName = false): Value {
    if (base === NONE) {
      throw nodeError(at, `there is no field or method '${byName ? index : formatV(index)}' in <invalid reflect.Value> (<invalid>)`);
    }
    const v = unwrap(base);
    const key = unwrap(index);
    if (v instanceof CaughtError && key === 'Error') return new GoFunc('Error', [], 'string', () => v.message);
    if (Array.isArray(v) || typeof v === 'string' || v instanceof Bytes) {
      let x: number;
      if (isIntValue(key)) x = key;
      else if (isNumeric(key)) x = Math.trunc(numeric(key));
      else if (key === null) throw nodeError(at, 'cannot index slice/array/string with nil');
      else throw nodeError(at, `cannot index slice/array/string with type ${typeString(key)}`);
      const len = Array.isArray(v) ? v.length : v instanceof Bytes ? v.data.length : Buffer.byteLength(v);
      if (x < 0 || x >= len) throw nodeError(at, `index out of range: ${x}`);
      if (Array.isArray(v)) return v[x];
      if (v instanceof Bytes) return v.data[x];
      return Buffer.from(v, 'utf8')[x];
    }
    if (v instanceof Map) {
      if (typeof key !== 'string') {
        throw nodeError(at, `can't use ${formatV(key)} (${typeString(key)}) as key for map of type map[string]interface {}`);
      }
      return v.has(key) ? (v.get(key) as Value) : NONE;
    }
    throw nodeError(at, `can't evaluate index ${byName ? '<invalid reflect.Value>' : formatV(key)} (${byName ? index : ''}) in type ${typeString(base)}`);
  }

  private sliceOf(node: ExprOf<'slice'>): Value {
    const base = unwrap(this.evaluate(node.base));
    let from = 0;
    if (node.index !== null) {
      const i = this.evaluate(node.index);
      if (!isNumeric(i)) throw nodeError(node.index, `non numeric value in index expression kind ${kindName(i)}`);
      from = Math.trunc(numeric(i));
    }
    let to: number;
    if (node.end !== null) {
      const e = this.evaluate(node.end);
      if (!isNumeric(e)) throw nodeError(node.end, `non numeric value in index expression kind ${kindName(e)}`);
      to = Math.trunc(numeric(e));
    } else if (Array.isArray(base)) to = base.length;
    else if (typeof base === 'string') to = Buffer.byteLength(base);
    else if (base instanceof Bytes) to = base.data.length;
    else throw nodeError(node, `cannot slice ${typeString(base)}`);
    const len = Array.isArray(base) ? base.length : typeof base === 'string' ? Buffer.byteLength(base) : base instanceof Bytes ? base.data.length : -1;
    if (len < 0) throw nodeError(node, `cannot slice ${typeString(base)}`);
    if (from < 0 || to < from || to > len) throw nodeError(node, 'reflect: slice index out of range');
    if (Array.isArray(base)) return base.slice(from, to);
    if (base instanceof Bytes) return new Bytes(base.data.slice(from, to));
    return Buffer.from(base as string, 'utf8').subarray(from, to).toString('utf8');
  }

  isSet(node: Expr): boolean {
    try {
      switch (node.k) {
        case 'index': {
          if (!this.isSet(node.base) || !this.isSet(node.index)) return false;
          return notNil(this.resolveIndexValue(node, this.evaluate(node.base), this.evaluate(node.index)));
        }
        case 'ident': {
          const v = this.resolve(node.name);
          return !(v instanceof JetError) && notNil(v);
        }
        case 'field': {
          let resolved: Value = this.context;
          for (const ident of node.idents) {
            resolved = this.resolveIndex(node, resolved, ident);
            if (!notNil(resolved)) return false;
          }
          return true;
        }
        case 'chain':
          return notNil(this.chain(node));
        case 'set':
        case 'underscore':
          throw nodeError(node, `unexpected ${strconvQuote(exprText(node))} node in isset clause`);
        default:
          return true;
      }
    } catch (e) {
      if (e instanceof JetError && !isBoundError(e)) return false;
      throw e;
    }
  }

  private numericComparative(node: ExprOf<'numericComparative'>): Value {
    const left = this.evaluate(node.left);
    const right = this.evaluate(node.right);
    let a: number;
    let b: number;
    if (isIntValue(left)) {
      a = left;
      b = isFloatValue(right) ? numeric(right as number | Float) : toInt(node, right);
    } else if (isNumeric(left)) {
      a = numeric(left);
      b = toFloat(node, right);
    } else {
      throw nodeError(node.left, 'a non numeric value in numeric comparative expression');
    }
    switch (node.op) {
      case T.Great:
        return a > b;
      case T.GreatEquals:
        return a >= b;
      case T.Less:
        return a < b;
      default:
        return a <= b;
    }
  }

  private multiplicative(node: ExprOf<'multiplicative'>): Value {
    const left = this.evaluate(node.left);
    const right = this.evaluate(node.right);
    const promote = !isFloatValue(left) && isFloatValue(right);
    const nonNumeric = (): never => {
      throw nodeError(node.left, 'a non numeric value in multiplicative expression');
    };
    switch (node.op) {
      case T.Mul:
        if (isIntValue(left)) return promote ? floatOf(left * numeric(right as number | Float)) : wrapInt(left * toInt(node, right));
        if (isNumeric(left)) return floatOf(numeric(left) * toFloat(node, right));
        return nonNumeric();
      case T.Div:
        if (isZero(right)) throw nodeError(node.left, 'division by zero');
        if (isIntValue(left)) return promote ? floatOf(left / numeric(right as number | Float)) : wrapInt(Math.trunc(left / toInt(node, right)));
        if (isNumeric(left)) return floatOf(numeric(left) / toFloat(node, right));
        return nonNumeric();
      default: {
        let a: number;
        if (isIntValue(left)) a = left;
        else if (isNumeric(left)) a = Math.trunc(numeric(left));
        else return nonNumeric();
        const b = toInt(node, right);
        if (b === 0) throw nodeError(node, 'runtime error: integer divide by zero');
        return (a % b) + 0;
      }
    }
  }

  private additive(node: ExprOf<'additive'>): Value {
    const add = node.op === T.Add;
    if (node.left === null) {
      const right = this.evaluate(node.right);
      if (right === NONE) throw nodeError(node, 'right side of additive expression is invalid value');
      if (isIntValue(right)) return add ? right : wrapInt(-right);
      if (isNumeric(right)) return add ? right : floatOf(-numeric(right));
      throw nodeError(node, `additive expression: right side ${exprText(node.right)} (${typeString(right)}) is not a numeric value (no left side)`);
    }
    const left = this.evaluate(node.left);
    const right = this.evaluate(node.right);
    if (left === NONE) throw nodeError(node, 'left side of additive expression is invalid value');
    if (right === NONE) throw nodeError(node, 'right side of additive expression is invalid value');
    if (!isFloatValue(left) && typeof left !== 'string' && isFloatValue(right)) {
      if (isIntValue(left)) return floatOf(add ? left + numeric(right as number | Float) : left - numeric(right as number | Float));
      throw nodeError(node.left, `additive expression: left side (${exprText(node.left)} (${typeString(left)}) needs float promotion but neither int nor uint)`);
    }
    if (isIntValue(left)) return wrapInt(add ? left + toInt(node, right) : left - toInt(node, right));
    if (isNumeric(left)) return floatOf(add ? numeric(left) + toFloat(node, right) : numeric(left) - toFloat(node, right));
    if (typeof left === 'string') {
      if (!add) throw nodeError(node.right, 'minus signal is not allowed with strings');
      const r = unwrap(right);
      const s = left + (r instanceof Bytes ? Buffer.from(r.data).toString('utf8') : formatV(r));
      if (s.length > this.limits.maxOutput) throw nodeError(node, `string too long (more than ${this.limits.maxOutput} characters)`);
      return s;
    }
    throw nodeError(node.left, `additive expression: left side ${exprText(node.left)} (${typeString(left)}) is not a numeric value`);
  }

  // ------------------------------------------------------------------------------------------ pipelines and calls

  private evalPipeline(cmds: Command[]): [Value, boolean] {
    let [value, safe] = this.evalCommand(cmds[0]);
    for (let i = 1; i < cmds.length; i++) {
      if (safe) throw nodeError(cmds[i], `unexpected command ${commandText(cmds[i])}, writer command should be the last command`);
      [value, safe] = this.evalPipeCommand(cmds[i], value);
    }
    return [value, safe];
  }

  private evalCommand(cmd: Command): [Value, boolean] {
    const term = this.evaluate(cmd.base);
    if (term !== NONE && cmd.args !== null) {
      if (isFuncValue(term)) {
        if (term instanceof SafeWriter) {
          this.writeSafe(term, cmd, []);
          return [NONE, true];
        }
        return [this.callFunction(cmd.base, term, cmd.args, undefined), false];
      }
      const first = cmd.args.exprs[0] ?? cmd.base;
      throw nodeError(first, `command ${strconvQuote(exprText(first))} has arguments but is ${typeString(term)}, not a function`);
    }
    return [term, false];
  }

  private evalPipeCommand(cmd: Command, value: Value): [Value, boolean] {
    const term = this.evaluate(cmd.base);
    if (term === NONE) throw nodeError(cmd, 'base expression of command pipe node is invalid value');
    if (!isFuncValue(term)) throw nodeError(cmd.base, `pipe command ${strconvQuote(exprText(cmd.base))} must be a function, but is ${typeString(term)}`);
    if (term instanceof SafeWriter) {
      this.writeSafe(term, cmd, [value]);
      return [NONE, true];
    }
    return [this.callFunction(cmd.base, term, cmd.args ?? { exprs: [], hasPipeSlot: false }, value), false];
  }

  private writeSafe(writer: SafeWriter, cmd: Command, values: Value[]): void {
    for (const v of values) if (v !== NONE) this.write(writer.escape(printValue(v)));
    for (const e of cmd.args?.exprs ?? []) {
      const v = this.evaluate(e);
      if (v !== NONE) this.write(writer.escape(printValue(v)));
    }
  }

  private callFunction(at: { path: string; line: number }, fn: GoFunc | NativeFunc | SafeWriter, args: CallArgs, piped: Value | undefined): Value {
    if (fn instanceof NativeFunc) return fn.call(new Arguments(this, args, piped));
    if (fn instanceof SafeWriter) throw nodeError(at, `call expression: ${typeString(fn)} can only be the last command`);
    let values: Value[];
    try {
      values = this.evaluateArgs(fn, args, piped);
    } catch (e) {
      if (e instanceof ArgumentError) throw nodeError(at, `call expression: ${e.message}`);
      throw e;
    }
    try {
      return fn.call(values);
    } catch (e) {
      if (e instanceof ArgumentError) throw nodeError(at, e.message);
      throw e;
    }
  }

  private evaluateArgs(fn: GoFunc, args: CallArgs, piped: Value | undefined): Value[] {
    const pipedFirst = piped !== undefined && !args.hasPipeSlot;
    const numArgs = args.exprs.length + (pipedFirst ? 1 : 0);
    let required = fn.params.length;
    if (fn.variadic) {
      required--;
      if (numArgs < required) throw new ArgumentError(`${fn.type} needs at least ${required} arguments, but have ${numArgs}`);
    } else if (numArgs !== required) {
      throw new ArgumentError(`${fn.type} needs ${required} arguments, but have ${numArgs}`);
    }
    const values: Value[] = [];
    let slot = 0;
    if (pipedFirst) {
      if (piped === NONE) throw new ArgumentError(`piped first argument for ${fn.type} is not a valid value`);
      values.push(convert(piped as Value, fn.params[0]));
      slot++;
    }
    let i = 0;
    const argAt = (): Value => {
      const e = args.exprs[i];
      const term = e.k === 'underscore' ? (piped ?? null) : this.evaluate(e);
      if (term === NONE) throw new ArgumentError(`argument for position ${slot} in ${fn.type} is not a valid value`);
      return term;
    };
    for (; slot < required; slot++, i++) values.push(convert(argAt(), fn.params[slot]));
    if (fn.variadic) {
      const elem = fn.params[fn.params.length - 1];
      for (; i < args.exprs.length; slot++, i++) values.push(convert(argAt(), elem));
    }
    return values;
  }
}

/** An error of a Go function's arguments (a conversion reflection refuses), located by the caller. */
export class ArgumentError extends Error {}

/** Errors already tied to a node, or a bound the render must not swallow (a `try` must not catch those). */
function isBoundError(e: JetError): boolean {
  return /exceeded its step budget|output too large|maximum '(include|yield|exec)' depth/.test(e.message);
}

/** reflect's Convert to a Go function's parameter type. */
function convert(v: Value, type: string): Value {
  const value = unwrap(v);
  switch (type) {
    case 'interface {}':
      return value;
    case 'string':
      if (typeof v === 'string') return v;
      if (isIntValue(v)) return v >= 0 && v <= 0x10ffff && !(v >= 0xd800 && v <= 0xdfff) ? String.fromCodePoint(v) : '\ufffd';
      if (v instanceof Bytes) return Buffer.from(v.data).toString('utf8');
      break;
    case 'int':
      if (isIntValue(v)) return v;
      if (isNumeric(v)) return Math.trunc(numeric(v));
      break;
    case 'bool':
      if (typeof v === 'boolean') return v;
      break;
  }
  throw new ArgumentError(`reflect.Value.Convert: value of type ${typeString(v)} cannot be converted to type ${type}`);
}

function isFuncValue(v: Value): v is GoFunc | NativeFunc | SafeWriter {
  return v instanceof GoFunc || v instanceof NativeFunc || v instanceof SafeWriter;
}

function rangerOf(v: Value, at: { path: string; line: number }): { providesIndex: boolean; next(): [Value, Value] | null } {
  if (v === NONE) throw nodeError(at, "can't range over invalid value");
  if (v instanceof IntsRanger) return v;
  const x = unwrap(v);
  if (Array.isArray(x)) {
    let i = 0;
    return { providesIndex: true, next: () => (i < x.length ? [i, wrapElement(x[i++])] : null) };
  }
  if (x instanceof Map) {
    const keys = [...x.keys()].sort();
    let i = 0;
    return {
      providesIndex: true,
      next: () => {
        if (i >= keys.length) return null;
        const k = keys[i++];
        return [k, wrapElement(x.get(k) ?? null)];
      },
    };
  }
  throw nodeError(at, `value ${formatV(x)} (type ${typeString(v)}) is not rangeable`);
}

/** An element of a []interface{} or map[string]interface{} as reflection yields it: behind an interface. */
function wrapElement(v: Value): Value {
  return v === null ? null : new Iface(v);
}

function notNil(v: Value): boolean {
  return v !== NONE;
}

/** Jet's isTrue: a valid, non-zero value (an empty but existing slice or map is true). */
export function isTrue(v: Value): boolean {
  if (v === NONE || v === false || v === '') return false;
  if (isNumeric(v)) return numeric(v) !== 0;
  return true;
}

function isZero(v: Value): boolean {
  return v === NONE || v === false || v === '' || (isNumeric(v) && numeric(v) === 0);
}

function floatOf(x: number): Value {
  return Number.isInteger(x) ? new Float(x) : x;
}

function wrapInt(x: number): number {
  if (Number.isSafeInteger(x)) return x + 0;
  return Number(BigInt.asIntN(64, BigInt(Math.trunc(x))));
}

/** Jet's toInt for the right side of an integer operation. */
function toInt(at: { path: string; line: number }, v: Value): number {
  if (v === NONE) throw nodeError(at, "invalid value can't be converted to int64");
  if (isIntValue(v)) return v;
  if (isNumeric(v)) return Math.trunc(numeric(v));
  if (typeof v === 'string') {
    if (!/^[+-]?\d+$/.test(v)) throw nodeError(at, `strconv.ParseInt: parsing ${strconvQuote(v)}: invalid syntax`);
    return Number(v);
  }
  if (typeof v === 'boolean') return v ? 0 : 1;
  throw nodeError(at, `type: ${strconvQuote(typeString(v))} can't be converted to int64`);
}

function toFloat(at: { path: string; line: number }, v: Value): number {
  if (v === NONE) throw nodeError(at, "invalid value can't be converted to float64");
  if (isNumeric(v)) return numeric(v);
  if (typeof v === 'string') {
    const f = Number(v);
    if (v.trim() === '' || Number.isNaN(f)) throw nodeError(at, `strconv.ParseFloat: parsing ${strconvQuote(v)}: invalid syntax`);
    return f;
  }
  if (typeof v === 'boolean') return v ? 0 : 1;
  throw nodeError(at, `type: ${strconvQuote(typeString(v))} can't be converted to float64`);
}

/** Jet's checkEquality. */
export function checkEquality(a: Value, b: Value, depth = 0): boolean {
  if (depth > 1000) throw new JetError('value nested too deep to compare');
  const x = unwrap(a);
  const y = unwrap(b);
  if (x === NONE || y === NONE) return x === y;
  if (isNumeric(x)) return isNumeric(y) && numeric(x) === numeric(y);
  if (typeof x === 'boolean') return typeof y === 'boolean' && x === y;
  if (typeof x === 'string') return typeof y === 'string' ? x === y : y instanceof Bytes && Buffer.from(y.data).toString('utf8') === x;
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || x.length !== y.length) return false;
    return x.every((item, i) => checkEquality(item, y[i], depth + 1));
  }
  if (x instanceof Map) {
    if (!(y instanceof Map) || x.size !== y.size) return false;
    for (const [k, v] of x) if (!y.has(k) || !checkEquality(v, y.get(k) ?? null, depth + 1)) return false;
    return true;
  }
  if (x instanceof Bytes) return y instanceof Bytes && Buffer.compare(Buffer.from(x.data), Buffer.from(y.data)) === 0;
  return x === y;
}

function formatVars(vars: Map<string, Value>): string {
  const keys = [...vars.keys()].sort();
  return 'map[' + keys.map((k) => `${k}:${formatV(vars.get(k) ?? null)}`).join(' ') + ']';
}

function commandText(cmd: Command): string {
  if (cmd.args === null) return exprText(cmd.base);
  return `${exprText(cmd.base)}(${cmd.args.exprs.map(exprText).join(', ')})`;
}
