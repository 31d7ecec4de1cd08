/** expr-lang's parser (parser/parser.go): precedence climbing with the same node shapes and error texts. */
import type { MemberNode, Node, NodeOf, PairNode } from './ast';
import { ExprError, type Loc } from './errors';
import { isAlphaNumeric, TokenStream, tokenText, type Token } from './lexer';
import { BUILTIN_NAMES } from './names';

/** Go's conf.DefaultMaxNodes. */
export const MAX_NODES = 10_000;
/** How deeply expressions may nest (parentheses, unary operators, arguments): a wisp bound, Go has none. */
export const MAX_NESTING = 256;
/** How deep the finished tree may be (long operator chains): a wisp bound, Go has none. */
export const MAX_TREE_DEPTH = 2_000;

const LEFT = 1;
const RIGHT = 2;

const UNARY: Record<string, number> = { not: 50, '!': 50, '-': 90, '+': 90 };

const BINARY: Record<string, [number, number]> = {
  '|': [0, LEFT],
  or: [10, LEFT],
  '||': [10, LEFT],
  and: [15, LEFT],
  '&&': [15, LEFT],
  '==': [20, LEFT],
  '!=': [20, LEFT],
  '<': [20, LEFT],
  '>': [20, LEFT],
  '>=': [20, LEFT],
  '<=': [20, LEFT],
  in: [20, LEFT],
  matches: [20, LEFT],
  contains: [20, LEFT],
  startsWith: [20, LEFT],
  endsWith: [20, LEFT],
  '..': [25, LEFT],
  '+': [30, LEFT],
  '-': [30, LEFT],
  '*': [60, LEFT],
  '/': [60, LEFT],
  '%': [60, LEFT],
  '**': [100, RIGHT],
  '^': [100, RIGHT],
  '??': [500, LEFT],
};

const NEGATABLE = new Set(['contains', 'matches', 'startsWith', 'endsWith', 'in']);
const COMPARISON = new Set(['<', '>', '>=', '<=']);

const EXPR = 1;
const PREDICATE = 2;
const OPTIONAL = 128;

const PREDICATES: Record<string, number[]> = {
  all: [EXPR, PREDICATE],
  none: [EXPR, PREDICATE],
  any: [EXPR, PREDICATE],
  one: [EXPR, PREDICATE],
  filter: [EXPR, PREDICATE],
  map: [EXPR, PREDICATE],
  count: [EXPR, PREDICATE | OPTIONAL],
  sum: [EXPR, PREDICATE | OPTIONAL],
  find: [EXPR, PREDICATE],
  findIndex: [EXPR, PREDICATE],
  findLast: [EXPR, PREDICATE],
  findLastIndex: [EXPR, PREDICATE],
  groupBy: [EXPR, PREDICATE],
  sortBy: [EXPR, PREDICATE, EXPR | OPTIONAL],
  reduce: [EXPR, PREDICATE, EXPR | OPTIONAL],
};

export interface ParseOptions {
  /** Names the environment defines; a call to one of them is not a builtin call (Go's IsOverridden). */
  overridden?: (name: string) => boolean;
}

type NodeInit = Node extends infer N ? (N extends Node ? Omit<N, 'loc'> : never) : never;

class Parser {
  private readonly tokens: TokenStream;
  current!: Token;
  private stashed: Token | null = null;
  private nodes = 0;
  private depth = 0; // predicate depth
  private nesting = 0;

  constructor(
    readonly source: string,
    private readonly options: ParseOptions,
  ) {
    this.tokens = new TokenStream(source);
  }

  error(message: string, at: Loc = this.current): never {
    throw new ExprError(message, { from: at.from, to: at.to });
  }

  next(): void {
    if (this.stashed !== null) {
      this.current = this.stashed;
      this.stashed = null;
      return;
    }
    const t = this.tokens.next();
    if (t === null) this.error('unexpected end of expression');
    this.current = t;
  }

  is(kind: Token['kind'], value?: string): boolean {
    return this.current.kind === kind && (value === undefined || this.current.value === value);
  }

  expect(kind: Token['kind'], value?: string): void {
    if (this.is(kind, value)) this.next();
    else this.error(`unexpected token ${tokenText(this.current)}`);
  }

  mk<T extends NodeInit>(init: T, loc: Loc): T & { loc: Loc } {
    if (++this.nodes > MAX_NODES) this.error('compilation failed: expression exceeds maximum allowed nodes');
    return Object.assign(init, { loc: { from: loc.from, to: loc.to } });
  }

  parse(): Node {
    this.next();
    const node = this.parseSequence();
    if (!this.is('EOF')) this.error(`unexpected token ${tokenText(this.current)}`);
    return node;
  }

  parseSequence(): Node {
    const nodes = [this.parseExpression(0)];
    while (this.is('Operator', ';')) {
      this.next();
      if (this.is('EOF')) break;
      nodes.push(this.parseExpression(0));
    }
    return nodes.length === 1 ? nodes[0] : this.mk({ k: 'seq', nodes }, nodes[0].loc);
  }

  parseExpression(precedence: number): Node {
    if (++this.nesting > MAX_NESTING) this.error('expression nested too deep');
    try {
      return this.parseExpressionAt(precedence);
    } finally {
      this.nesting--;
    }
  }

  private parseExpressionAt(precedence: number): Node {
    if (precedence === 0 && this.is('Operator', 'let')) return this.parseLet();
    if (precedence === 0 && this.is('Operator', 'if')) return this.parseIf();
    let left = this.parsePrimary();
    let prev = '';
    let op = this.current;
    while (op.kind === 'Operator') {
      const negate = op.value === 'not';
      let notToken: Token | null = null;
      if (negate) {
        const backup = this.current;
        this.next();
        if (!NEGATABLE.has(this.current.value)) this.error(`unexpected token ${tokenText(this.current)}`);
        const info = BINARY[this.current.value];
        if (info !== undefined && info[0] >= precedence) {
          notToken = this.current;
          op = this.current;
        } else {
          this.stashed = this.current;
          this.current = backup;
          break;
        }
      }
      const info = BINARY[op.value];
      if (info === undefined || info[0] < precedence) break;
      this.next();
      if (op.value === '|') {
        const ident = this.current;
        this.expect('Identifier');
        left = this.parseCall(ident, [left], true);
      } else {
        if (prev === '??' && op.value !== '??') {
          this.error(`Operator (${op.value}) and coalesce expressions (??) cannot be mixed. Wrap either by parentheses.`, op);
        }
        if (COMPARISON.has(op.value)) {
          left = this.parseComparison(left, op, info[0]);
        } else {
          const right = this.parseExpression(info[1] === LEFT ? info[0] + 1 : info[0]);
          left = this.mk({ k: 'binary', op: op.value, left, right }, op);
          if (notToken !== null) left = this.mk({ k: 'unary', op: 'not', node: left }, notToken);
        }
      }
      prev = op.value;
      op = this.current;
    }
    return precedence === 0 ? this.parseConditional(left) : left;
  }

  parseLet(): Node {
    this.expect('Operator', 'let');
    const name = this.current;
    this.expect('Identifier');
    this.expect('Operator', '=');
    const value = this.parseExpression(0);
    this.expect('Operator', ';');
    const expr = this.parseSequence();
    return this.mk({ k: 'let', name: name.value, value, expr }, name);
  }

  parseIf(): Node {
    const at = this.current;
    this.next();
    const cond = this.parseExpression(0);
    this.expect('Bracket', '{');
    const then = this.parseSequence();
    this.expect('Bracket', '}');
    this.expect('Operator', 'else');
    let otherwise: Node;
    if (this.is('Operator', 'if')) {
      otherwise = this.parseIf();
    } else {
      this.expect('Bracket', '{');
      otherwise = this.parseSequence();
      this.expect('Bracket', '}');
    }
    return this.mk({ k: 'cond', cond, then, else: otherwise }, at);
  }

  parseConditional(node: Node): Node {
    while (this.is('Operator', '?')) {
      this.next();
      let then: Node;
      let otherwise: Node;
      if (!this.is('Operator', ':')) {
        then = this.parseExpression(0);
        this.expect('Operator', ':');
        otherwise = this.parseExpression(0);
      } else {
        this.next();
        then = node;
        otherwise = this.parseExpression(0);
      }
      node = this.mk({ k: 'cond', cond: node, then, else: otherwise }, this.current);
    }
    return node;
  }

  parsePrimary(): Node {
    const token = this.current;
    if (token.kind === 'Operator') {
      const precedence = UNARY[token.value];
      if (precedence !== undefined) {
        this.next();
        const node = this.parseExpression(precedence);
        return this.parsePostfix(this.mk({ k: 'unary', op: token.value, node }, token));
      }
    }
    if (this.is('Bracket', '(')) {
      this.next();
      const node = this.parseSequence();
      this.expect('Bracket', ')');
      return this.parsePostfix(node);
    }
    if (this.depth > 0 && (this.is('Operator', '#') || this.is('Operator', '.'))) {
      let name = '';
      if (this.is('Operator', '#')) {
        this.next();
        if (this.is('Identifier')) {
          name = this.current.value;
          this.next();
        }
      }
      return this.parsePostfix(this.mk({ k: 'pointer', name }, token));
    }
    if (this.is('Operator', '::')) {
      this.next();
      const ident = this.current;
      this.expect('Identifier');
      return this.parsePostfix(this.parseCall(ident, [], false));
    }
    return this.parseSecondary();
  }

  parseSecondary(): Node {
    const token = this.current;
    let node: Node;
    switch (token.kind) {
      case 'Identifier':
        this.next();
        if (token.value === 'true' || token.value === 'false') return this.mk({ k: 'bool', value: token.value === 'true' }, token);
        if (token.value === 'nil') return this.mk({ k: 'nil' }, token);
        node = this.is('Bracket', '(') ? this.parseCall(token, [], true) : this.mk({ k: 'ident', name: token.value }, token);
        break;
      case 'Number':
        this.next();
        return this.parseNumber(token);
      case 'String':
        this.next();
        node = this.mk({ k: 'string', value: token.value }, token);
        break;
      case 'Bytes':
        this.next();
        node = this.mk({ k: 'bytes', value: Uint8Array.from(token.value, (c) => c.charCodeAt(0)) }, token);
        break;
      default:
        if (this.is('Bracket', '[')) node = this.parseArray(token);
        else if (this.is('Bracket', '{')) node = this.parseMap(token);
        else return this.error(`unexpected token ${tokenText(token)}`);
    }
    return this.parsePostfix(node);
  }

  parseNumber(token: Token): Node {
    const value = token.value.replace(/_/g, '');
    const lower = value.toLowerCase();
    const intNode = (text: string, kind: string): Node => {
      const n = parseGoInt(text);
      if (typeof n === 'string') this.error(`invalid ${kind} literal: strconv.ParseInt: parsing ${JSON.stringify(text)}: ${n}`);
      return this.mk({ k: 'int', value: n }, token);
    };
    if (lower.startsWith('0x')) return intNode(value, 'hex');
    if (/[.e]/.test(lower)) {
      const f = parseGoFloat(value);
      if (typeof f === 'string') this.error(`invalid float literal: strconv.ParseFloat: parsing ${JSON.stringify(value)}: ${f}`);
      return this.mk({ k: 'float', value: f }, token);
    }
    if (lower.startsWith('0b')) return intNode(value, 'binary');
    if (lower.startsWith('0o')) return intNode(value, 'octal');
    return intNode(value, 'integer');
  }

  parseCall(token: Token, args: Node[], checkOverrides: boolean): Node {
    const overridden = checkOverrides && (this.options.overridden?.(token.value) ?? false);
    const predicate = PREDICATES[token.value];
    if (predicate !== undefined && !overridden) {
      this.expect('Bracket', '(');
      const rest = predicate.slice(args.length);
      for (let i = 0; i < rest.length; i++) {
        const arg = rest[i];
        if (arg & OPTIONAL) {
          if (this.is('Bracket', ')')) break;
        } else if (this.is('Bracket', ')')) {
          this.error(`expected at least ${rest.length} arguments`);
        }
        if (i > 0) this.expect('Operator', ',');
        args.push(arg & EXPR ? this.parseExpression(0) : this.parsePredicate());
      }
      if (this.is('Operator', ',')) this.next();
      this.expect('Bracket', ')');
      return this.mk({ k: 'builtin', name: token.value, args }, token);
    }
    if (BUILTIN_NAMES.has(token.value) && !overridden) {
      return this.mk({ k: 'builtin', name: token.value, args: this.parseArguments(args) }, token);
    }
    const callee = this.mk({ k: 'ident', name: token.value }, token);
    return this.mk({ k: 'call', callee, args: this.parseArguments(args) }, token);
  }

  parseArguments(args: Node[]): Node[] {
    const offset = args.length;
    this.expect('Bracket', '(');
    while (!this.is('Bracket', ')')) {
      if (args.length > offset) this.expect('Operator', ',');
      if (this.is('Bracket', ')')) break;
      args.push(this.parseExpression(0));
    }
    this.expect('Bracket', ')');
    return args;
  }

  parsePredicate(): Node {
    const start = this.current;
    const braces = this.is('Bracket', '{');
    if (braces) this.next();
    this.depth++;
    let node: Node;
    if (braces) {
      node = this.parseSequence();
    } else {
      node = this.parseExpression(0);
      if (this.is('Operator', ';')) this.error('wrap predicate with brackets { and }');
    }
    this.depth--;
    if (braces) this.expect('Bracket', '}');
    return this.mk({ k: 'predicate', node }, start);
  }

  parseArray(token: Token): Node {
    const nodes: Node[] = [];
    this.expect('Bracket', '[');
    while (!this.is('Bracket', ']')) {
      if (nodes.length > 0) {
        this.expect('Operator', ',');
        if (this.is('Bracket', ']')) break;
      }
      nodes.push(this.parseExpression(0));
    }
    this.expect('Bracket', ']');
    return this.mk({ k: 'array', nodes }, token);
  }

  parseMap(token: Token): Node {
    this.expect('Bracket', '{');
    const pairs: PairNode[] = [];
    while (!this.is('Bracket', '}')) {
      if (pairs.length > 0) {
        this.expect('Operator', ',');
        if (this.is('Bracket', '}')) break;
        if (this.is('Operator', ',')) this.error(`unexpected token ${tokenText(this.current)}`);
      }
      let key: Node;
      if (this.is('Number') || this.is('String') || this.is('Identifier')) {
        key = this.mk({ k: 'string', value: this.current.value }, this.current);
        this.next();
      } else if (this.is('Bracket', '(')) {
        key = this.parseExpression(0);
      } else {
        return this.error(
          `a map key must be a quoted string, a number, a identifier, or an expression enclosed in parentheses (unexpected token ${tokenText(this.current)})`,
        );
      }
      this.expect('Operator', ':');
      const value = this.parseExpression(0);
      if (++this.nodes > MAX_NODES) this.error('compilation failed: expression exceeds maximum allowed nodes');
      pairs.push({ key, value, loc: { from: token.from, to: token.to } });
    }
    this.expect('Bracket', '}');
    return this.mk({ k: 'map', pairs }, token);
  }

  parsePostfix(start: Node): Node {
    let node = start;
    let postfix = this.current;
    while (postfix.kind === 'Operator' || postfix.kind === 'Bracket') {
      const optional = postfix.value === '?.';
      if (optional || postfix.value === '.') {
        this.next();
        const property = this.current;
        if (optional && property.kind === 'Bracket' && property.value === '[') {
          postfix = property;
          node = this.parseIndex(node, postfix, true);
          postfix = this.current;
          continue;
        }
        this.next();
        if (property.kind !== 'Identifier' && (property.kind !== 'Operator' || !isValidIdentifier(property.value))) {
          this.error('expected name');
        }
        const propNode = this.mk({ k: 'string', value: property.value }, property);
        const isChain = node.k === 'chain';
        const base = node.k === 'chain' ? node.node : node;
        const member: MemberNode = this.mk({ k: 'member', node: base, property: propNode, optional, method: false }, property);
        if (this.is('Bracket', '(')) {
          member.method = true;
          node = this.mk({ k: 'call', callee: member, args: this.parseArguments([]) }, property);
        } else {
          node = member;
        }
        if (isChain || optional) node = this.mk({ k: 'chain', node }, property);
      } else if (postfix.value === '[') {
        node = this.parseIndex(node, postfix, false);
      } else {
        break;
      }
      postfix = this.current;
    }
    return node;
  }

  /** `[i]`, `[a:b]` after `node`; the current token is the `[`. */
  parseIndex(node: Node, bracket: Token, optional: boolean): Node {
    this.next();
    if (this.is('Operator', ':')) {
      this.next();
      const to = this.is('Bracket', ']') ? null : this.parseExpression(0);
      const slice = this.mk({ k: 'slice', node, from: null, to }, bracket);
      this.expect('Bracket', ']');
      return slice;
    }
    const from = this.parseExpression(0);
    if (this.is('Operator', ':')) {
      this.next();
      const to = this.is('Bracket', ']') ? null : this.parseExpression(0);
      const slice = this.mk({ k: 'slice', node, from, to }, bracket);
      this.expect('Bracket', ']');
      return slice;
    }
    let out: Node = this.mk({ k: 'member', node, property: from, optional, method: false }, bracket);
    if (optional) out = this.mk({ k: 'chain', node: out }, bracket);
    this.expect('Bracket', ']');
    return out;
  }

  parseComparison(first: Node, firstOp: Token, precedence: number): Node {
    let left = first;
    let op = firstOp;
    let root: Node | null = null;
    for (;;) {
      const right = this.parseExpression(precedence + 1);
      const cmp = this.mk({ k: 'binary', op: op.value, left, right }, op);
      root = root === null ? cmp : this.mk({ k: 'binary', op: '&&', left: root, right: cmp }, op);
      left = right;
      op = this.current;
      if (!(op.kind === 'Operator' && COMPARISON.has(op.value))) break;
      this.next();
    }
    return root;
  }
}

function isValidIdentifier(s: string): boolean {
  const cps = Array.from(s, (c) => c.codePointAt(0) as number);
  if (cps.length === 0) return false;
  const first = cps[0];
  if (!(first === 0x5f || first === 0x24 || /^\p{L}$/u.test(String.fromCodePoint(first)))) return false;
  return cps.every(isAlphaNumeric);
}

const INT64_MAX = (1n << 63n) - 1n;

/** Go's strconv.ParseInt(s, 0, 64) for the literal forms the lexer lets through: the value, or why it fails. */
function parseGoInt(text: string): number | string {
  let digits = text;
  let base = 10;
  const lower = text.toLowerCase();
  if (lower.startsWith('0x')) [base, digits] = [16, text.slice(2)];
  else if (lower.startsWith('0b')) [base, digits] = [2, text.slice(2)];
  else if (lower.startsWith('0o')) [base, digits] = [8, text.slice(2)];
  const valid = base === 16 ? /^[0-9a-f]+$/i : base === 2 ? /^[01]+$/ : base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return 'invalid syntax';
  const big = base === 10 ? BigInt(digits) : BigInt(`0${lower[1]}${digits}`);
  return big > INT64_MAX ? 'value out of range' : Number(big);
}

/** Go's strconv.ParseFloat(s, 64) for decimal literals: the value, or the reason it fails. */
function parseGoFloat(text: string): number | string {
  if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return 'invalid syntax';
  const f = Number(text);
  if (!Number.isFinite(f)) return 'value out of range';
  return f;
}

/** Parses `source` into a tree; throws an ExprError bound to the source. */
export function parse(source: string, options: ParseOptions = {}): Node {
  try {
    const node = new Parser(source, options).parse();
    if (treeDepth(node) > MAX_TREE_DEPTH) throw new ExprError('expression nested too deep', { from: 0, to: 0 });
    return node;
  } catch (e) {
    if (e instanceof ExprError) throw e.bind(source);
    throw e;
  }
}

/** The depth of a tree, measured without recursion. */
export function treeDepth(root: Node): number {
  let max = 0;
  const stack: [Node, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [Node, number];
    if (depth > max) max = depth;
    for (const child of children(node)) stack.push([child, depth + 1]);
  }
  return max;
}

export function children(node: Node): Node[] {
  switch (node.k) {
    case 'unary':
    case 'chain':
    case 'predicate':
      return [node.node];
    case 'binary':
      return [node.left, node.right];
    case 'member':
      return [node.node, node.property];
    case 'slice':
      return [node.node, ...(node.from ? [node.from] : []), ...(node.to ? [node.to] : [])];
    case 'call':
      return [node.callee, ...node.args];
    case 'builtin':
      return node.args;
    case 'let':
      return [node.value, node.expr];
    case 'seq':
    case 'array':
      return node.nodes;
    case 'cond':
      return [node.cond, node.then, node.else];
    case 'map':
      return node.pairs.flatMap((p) => [p.key, p.value]);
    default:
      return [];
  }
}

export type { NodeOf };
