/**
 * Jet's parser (parse.go): a template is parsed once into statements; `extends` and `import` load their
 * templates while parsing, as Jet does. Errors read `template: <path>:<line>: <message>`.
 */
import type { BlockNode, BlockParameter, CallArgs, Command, Expr, List, SetNode, Stmt } from './ast';
import { Lexer, T, type Delimiters, type Item } from './lexer';

import { JetError } from './values';

export { JetError };

/** A parsed template. */
export interface Template {
  readonly name: string;
  readonly extends: Template | null;
  readonly imports: readonly Template[];
  /** Blocks visible when this template runs: the extended template's, the imported ones', then its own. */
  readonly blocks: ReadonlyMap<string, BlockNode>;
  readonly root: List;
}

/** Loads a template referenced by `extends`/`import` (`path` relative to `from`). */
export type SiblingLoader = (path: string, from: string) => Template;

/** How deeply statements and expressions may nest (a wisp bound; Go has none). */
export const MAX_PARSE_DEPTH = 200;

const KEYWORD_MIN = T.Keyword;

function unquoteChar(s: string, i: number, quote: string): [string, number] {
  const c = s[i];
  if (c !== '\\') {
    if (c === quote && quote !== '`') throw new Error('invalid syntax');
    const cp = s.codePointAt(i) as number;
    return [String.fromCodePoint(cp), i + (cp > 0xffff ? 2 : 1)];
  }
  const e = s[i + 1];
  const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
  if (simple[e] !== undefined) return [simple[e], i + 2];
  if (e === quote) return [e, i + 2];
  const hex = (n: number): [string, number] => {
    const digits = s.slice(i + 2, i + 2 + n);
    if (digits.length < n || !/^[0-9a-fA-F]+$/.test(digits)) throw new Error('invalid syntax');
    const v = parseInt(digits, 16);
    if (v > 0x10ffff || (n > 2 && v >= 0xd800 && v <= 0xdfff)) throw new Error('invalid syntax');
    return [n === 2 ? String.fromCharCode(v) : String.fromCodePoint(v), i + 2 + n];
  };
  if (e === 'x') return hex(2);
  if (e === 'u') return hex(4);
  if (e === 'U') return hex(8);
  if (e >= '0' && e <= '7') {
    const digits = s.slice(i + 1, i + 4);
    if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) throw new Error('invalid syntax');
    return [String.fromCharCode(parseInt(digits, 8)), i + 4];
  }
  throw new Error('invalid syntax');
}

/** Go's strconv.Unquote for "..." and `...` literals. */
export function unquote(text: string): string {
  const q = text[0];
  if (text.length < 2 || text[text.length - 1] !== q) throw new Error('invalid syntax');
  const body = text.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) throw new Error('invalid syntax');
    return body.replace(/\r/g, '');
  }
  if (q !== '"') throw new Error('invalid syntax');
  let out = '';
  for (let i = 0; i < body.length; ) {
    if (body[i] === '\n') throw new Error('invalid syntax');
    const [c, next] = unquoteChar(body, i, '"');
    out += c;
    i = next;
  }
  return out;
}

/** Go's strconv.ParseInt(s, 0, 64) (sign, 0x/0o/0b/0 prefixes, underscores after a prefix). */
function parseIntBase0(text: string): number | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|0[0-7_]*|[1-9][0-9]*)$/.exec(text);
  if (m === null) return null;
  const body = m[2];
  let big: bigint;
  if (/^0[xXbBoO]/.test(body)) {
    if (body.includes('__') || body.endsWith('_')) return null;
    big = BigInt(body.replace(/_/g, '').toLowerCase());
  } else if (body.length > 1 && body[0] === '0') {
    if (body.includes('_')) return null;
    big = BigInt('0o' + body.slice(1));
  } else {
    big = BigInt(body);
  }
  if (m[1] === '-') big = -big;
  if (big > (1n << 63n) - 1n || big < -(1n << 63n)) return null;
  return Number(big);
}

class Parser {
  private readonly lex: Lexer;
  private readonly token: Item[] = [
    { typ: T.EOF, pos: 0, val: '' },
    { typ: T.EOF, pos: 0, val: '' },
    { typ: T.EOF, pos: 0, val: '' },
  ];
  private peekCount = 0;
  private depth = 0;
  root: List = { nodes: [] };
  extendsTemplate: Template | null = null;
  imports: Template[] = [];
  readonly passedBlocks = new Map<string, BlockNode>();

  constructor(
    readonly name: string,
    text: string,
    delims: Delimiters,
    private readonly load: SiblingLoader,
  ) {
    this.lex = new Lexer(text, delims);
  }

  errorf(message: string): never {
    throw new JetError(`template: ${this.name}:${this.lex.lineNumber()}: ${message}`);
  }

  private line(): number {
    return this.lex.lineNumber();
  }

  private at(): { path: string; line: number } {
    return { path: this.name, line: this.line() };
  }

  next(): Item {
    if (this.peekCount > 0) this.peekCount--;
    else this.token[0] = this.lex.nextItem();
    return this.token[this.peekCount];
  }

  backup(): void {
    this.peekCount++;
  }

  backup2(t1: Item): void {
    this.token[1] = t1;
    this.peekCount = 2;
  }

  peek(): Item {
    if (this.peekCount > 0) return this.token[this.peekCount - 1];
    this.peekCount = 1;
    this.token[0] = this.lex.nextItem();
    return this.token[0];
  }

  nextNonSpace(): Item {
    let token: Item;
    do token = this.next();
    while (token.typ === T.Space);
    return token;
  }

  peekNonSpace(): Item {
    const token = this.nextNonSpace();
    this.backup();
    return token;
  }

  expect(typ: T, context: string, expected: string): Item {
    const token = this.nextNonSpace();
    if (token.typ !== typ) this.unexpected(token, context, expected);
    return token;
  }

  expectRightDelim(context: string): Item {
    return this.expect(T.RightDelim, context, 'closing delimiter');
  }

  expectOneOf(a: T, b: T, context: string, expected: string): Item {
    const token = this.nextNonSpace();
    if (token.typ !== a && token.typ !== b) this.unexpected(token, context, expected);
    return token;
  }

  unexpected(token: Item, context: string, expected: string): never {
    if (token.typ === T.Import || token.typ === T.Extends) {
      this.errorf(`parsing ${context}: unexpected keyword '${token.val}' ('${token.val}' statements must be at the beginning of the template)`);
    }
    if (token.typ > KEYWORD_MIN) this.errorf(`parsing ${context}: unexpected keyword '${token.val}' (expected ${expected})`);
    return this.errorf(`parsing ${context}: unexpected token '${token.val}' (expected ${expected})`);
  }

  private nest<R>(f: () => R): R {
    if (++this.depth > MAX_PARSE_DEPTH) this.errorf(`template nested too deep (more than ${MAX_PARSE_DEPTH} levels)`);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  expectString(context: string): string {
    const token = this.expectOneOf(T.String, T.RawString, context, 'string literal');
    try {
      return unquote(token.val);
    } catch (e) {
      return this.errorf((e as Error).message);
    }
  }

  parseTemplate(): void {
    while (this.peek().typ !== T.EOF) {
      const delim = this.next();
      if (delim.typ === T.Text && delim.val.trim() === '') continue;
      if (delim.typ === T.LeftDelim) {
        const token = this.nextNonSpace();
        if (token.typ === T.Extends || token.typ === T.Import) {
          const s = this.expectString('extends|import');
          if (token.typ === T.Extends) {
            if (this.extendsTemplate !== null) this.errorf('Unexpected extends clause: each template can only extend one template');
            if (this.imports.length > 0) this.errorf("Unexpected extends clause: the 'extends' clause should come before all import clauses");
            this.extendsTemplate = this.loadSibling(s);
          } else {
            this.imports.push(this.loadSibling(s));
          }
          this.expect(T.RightDelim, 'extends|import', 'closing delimiter');
        } else {
          this.backup2(delim);
          break;
        }
      } else {
        this.backup();
        break;
      }
    }
    while (this.peek().typ !== T.EOF) {
      const n = this.textOrAction();
      if (n.k === 'end' || n.k === 'else' || n.k === 'content') this.errorf(`unexpected ${markerText(n)}`);
      this.root.nodes.push(n);
    }
  }

  private loadSibling(path: string): Template {
    try {
      return this.load(path, this.name);
    } catch (e) {
      return this.errorf((e as Error).message);
    }
  }

  blockParametersList(declaring: boolean, context: string): BlockParameter[] {
    const list: BlockParameter[] = [];
    this.expect(T.LeftParen, context, 'opening parenthesis');
    for (;;) {
      let next = this.nextNonSpace();
      if (next.typ === T.Identifier) {
        const identifier = next.val;
        const next2 = this.nextNonSpace();
        if (next2.typ === T.Comma || next2.typ === T.RightParen) {
          list.push({ identifier, expr: null });
          next = next2;
        } else if (next2.typ === T.Assign) {
          const [expr, end] = this.parseExpression(context);
          list.push({ identifier, expr });
          next = end;
        } else if (!declaring) {
          this.backup2(next);
          const [expr, end] = this.parseExpression(context);
          list.push({ identifier: '', expr });
          next = end;
        } else {
          this.unexpected(next2, context, 'comma, assignment, or closing parenthesis');
        }
      } else if (!declaring && next.typ !== T.Comma && next.typ !== T.RightParen) {
        this.backup();
        const [expr, end] = this.parseExpression(context);
        list.push({ identifier: '', expr });
        next = end;
      }
      if (next.typ !== T.Comma) {
        this.backup();
        break;
      }
    }
    this.expect(T.RightParen, context, 'closing parenthesis');
    return list;
  }

  parseBlock(): Stmt {
    const context = 'block clause';
    const name = this.expect(T.Identifier, context, 'name');
    const params = this.blockParametersList(true, context);
    let ctx: Expr | null = null;
    if (this.peekNonSpace().typ !== T.RightDelim) ctx = this.expression(context, 'context');
    this.expectRightDelim(context);
    const [list, end] = this.itemList(['content', 'end']);
    let content: List | null = null;
    if (end.k === 'content') [content] = this.itemList(['end']);
    const block: BlockNode = { k: 'block', ...this.at(), name: name.val, params, context: ctx, list, content };
    this.passedBlocks.set(block.name, block);
    return block;
  }

  parseYield(): Stmt {
    const context = 'yield clause';
    const name = this.nextNonSpace();
    if (name.typ === T.Content) {
      let ctx: Expr | null = null;
      if (this.peekNonSpace().typ !== T.RightDelim) ctx = this.expression(context, 'content context');
      this.expectRightDelim(context);
      return { k: 'yield', ...this.at(), name: '', params: [], context: ctx, content: null, isContent: true };
    }
    if (name.typ !== T.Identifier) this.unexpected(name, context, 'block name');
    const params = this.blockParametersList(false, context);
    let ctx: Expr | null = null;
    let content: List | null = null;
    let typ = this.peekNonSpace().typ;
    if (typ === T.RightDelim) {
      this.expectRightDelim(context);
    } else {
      if (typ !== T.Content) {
        ctx = this.expression('yield', 'context');
        typ = this.peekNonSpace().typ;
      }
      if (typ === T.RightDelim) {
        this.expectRightDelim(context);
      } else if (typ === T.Content) {
        this.nextNonSpace();
        this.expectRightDelim(context);
        [content] = this.itemList(['end']);
      } else {
        this.unexpected(this.nextNonSpace(), context, 'content keyword or closing delimiter');
      }
    }
    return { k: 'yield', ...this.at(), name: name.val, params, context: ctx, content, isContent: false };
  }

  parseInclude(): Stmt {
    const name = this.expression('include', 'template name');
    let ctx: Expr | null = null;
    if (this.peekNonSpace().typ !== T.RightDelim) ctx = this.expression('include', 'context');
    this.expectRightDelim('include invocation');
    return { k: 'include', ...this.at(), name, context: ctx };
  }

  parseReturn(): Stmt {
    const value = this.expression('return', 'value');
    this.expectRightDelim('return');
    return { k: 'return', ...this.at(), value };
  }

  /** Statements up to one of the markers (returned separately). */
  itemList(terminators: Stmt['k'][]): [List, Stmt] {
    return this.nest(() => {
      const list: List = { nodes: [] };
      while (this.peekNonSpace().typ !== T.EOF) {
        const n = this.textOrAction();
        if (terminators.includes(n.k)) return [list, n] as [List, Stmt];
        list.nodes.push(n);
      }
      return this.errorf('unexpected EOF');
    });
  }

  textOrAction(): Stmt {
    const token = this.nextNonSpace();
    if (token.typ === T.Text) return { k: 'text', text: token.val };
    if (token.typ === T.LeftDelim) return this.action();
    return this.unexpected(token, 'input', 'text or action');
  }

  action(): Stmt {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case T.Include:
        return this.parseInclude();
      case T.Block:
        return this.parseBlock();
      case T.End:
        this.expectRightDelim('end');
        return { k: 'end' };
      case T.Yield:
        return this.parseYield();
      case T.Content:
        this.expectRightDelim('content');
        return { k: 'content' };
      case T.If:
        return this.nest(() => this.ifControl());
      case T.Else:
        return this.elseControl();
      case T.Range:
        return this.nest(() => this.rangeControl());
      case T.Try:
        return this.nest(() => this.parseTry());
      case T.Catch:
        return this.parseCatch();
      case T.Return:
        return this.parseReturn();
    }
    this.backup();
    const at = this.at();
    let expr: Expr | null = this.assignmentOrExpression('command');
    let set: SetNode | null = null;
    if (expr.k === 'set') {
      set = expr;
      expr = null;
      if (this.expectOneOf(T.Semicolon, T.RightDelim, 'command', 'semicolon or right delimiter').typ === T.Semicolon) {
        expr = this.expression('command', 'pipeline base expression');
      }
    }
    return { k: 'action', ...at, set, pipe: expr === null ? null : this.pipeline('command', expr) };
  }

  logicalExpression(context: string): [Expr, Item] {
    let [left, end] = this.comparativeExpression(context);
    while (end.typ === T.And || end.typ === T.Or) {
      const [right, rightEnd] = this.comparativeExpression(context);
      left = { k: 'logical', ...this.at(), op: end.typ, left, right };
      end = rightEnd;
    }
    return [left, end];
  }

  parseExpression(context: string): [Expr, Item] {
    return this.nest(() => {
      let [expression, end] = this.logicalExpression(context);
      if (end.typ === T.Ternary) {
        let left: Expr;
        [left, end] = this.parseExpression(context);
        if (end.typ !== T.Colon) this.unexpected(end, 'ternary expression', 'colon in ternary expression');
        let right: Expr;
        [right, end] = this.parseExpression(context);
        expression = { k: 'ternary', ...this.at(), cond: expression, left, right };
      }
      return [expression, end] as [Expr, Item];
    });
  }

  comparativeExpression(context: string): [Expr, Item] {
    let [left, end] = this.numericComparativeExpression(context);
    while (end.typ === T.Equals || end.typ === T.NotEquals) {
      const [right, rightEnd] = this.numericComparativeExpression(context);
      left = { k: 'comparative', ...this.at(), op: end.typ, left, right };
      end = rightEnd;
    }
    return [left, end];
  }

  numericComparativeExpression(context: string): [Expr, Item] {
    let [left, end] = this.additiveExpression(context);
    while (end.typ >= T.Great && end.typ <= T.LessEquals) {
      const [right, rightEnd] = this.additiveExpression(context);
      left = { k: 'numericComparative', ...this.at(), op: end.typ, left, right };
      end = rightEnd;
    }
    return [left, end];
  }

  additiveExpression(context: string): [Expr, Item] {
    let [left, end] = this.multiplicativeExpression(context);
    while (end.typ === T.Add || end.typ === T.Minus) {
      const [right, rightEnd] = this.multiplicativeExpression(context);
      left = { k: 'additive', ...this.at(), op: end.typ, left, right };
      end = rightEnd;
    }
    return [left, end];
  }

  multiplicativeExpression(context: string): [Expr, Item] {
    let [left, end] = this.unaryExpression(context);
    while (end.typ >= T.Mul && end.typ <= T.Mod) {
      const [right, rightEnd] = this.unaryExpression(context);
      left = { k: 'multiplicative', ...this.at(), op: end.typ, left, right };
      end = rightEnd;
    }
    return [left, end];
  }

  unaryExpression(context: string): [Expr, Item] {
    return this.nest(() => {
      const next = this.nextNonSpace();
      if (next.typ === T.Not) {
        const [expr, end] = this.comparativeExpression(context);
        return [{ k: 'not', ...this.at(), expr }, end] as [Expr, Item];
      }
      if (next.typ === T.Minus || next.typ === T.Add) {
        const operand = this.operand('additive expression');
        return [{ k: 'additive', ...this.at(), op: next.typ, left: null, right: operand }, this.nextNonSpace()] as [Expr, Item];
      }
      this.backup();
      const operand = this.operand(context);
      return [operand, this.nextNonSpace()] as [Expr, Item];
    });
  }

  assignmentOrExpression(context: string): Expr {
    this.peekNonSpace();
    const at = this.at();
    let [operand, returned] = this.parseExpression(context);
    if (returned.typ !== T.Comma && returned.typ !== T.Assign) {
      this.backup();
      return operand;
    }
    const left: Expr[] = [];
    let isLet = false;
    for (;;) {
      if (operand.k === 'field' || operand.k === 'chain' || operand.k === 'ident' || operand.k === 'underscore') left.push(operand);
      else this.errorf('unexpected node in assign');
      if (returned.typ === T.Comma) {
        [operand, returned] = this.parseExpression(context);
      } else if (returned.typ === T.Assign) {
        isLet = returned.val === ':=';
        break;
      } else {
        this.unexpected(returned, 'assignment', 'comma or assignment');
      }
    }
    if (isLet) {
      for (const o of left) if (o.k !== 'ident' && o.k !== 'underscore') this.errorf(`unexpected node type ${exprText(o)} in variable declaration`);
    }
    const right: Expr[] = [];
    for (;;) {
      [operand, returned] = this.parseExpression('assignment');
      right.push(operand);
      if (returned.typ !== T.Comma) {
        this.backup();
        break;
      }
    }
    let indexExprGetLookup = false;
    if (context === 'range') {
      if (left.length > 2 || right.length > 1) this.errorf('unexpected number of operands in assign on range');
    } else if (left.length !== right.length) {
      if (left.length === 2 && right.length === 1 && right[0].k === 'index') indexExprGetLookup = true;
      else this.errorf('unexpected number of operands in assign on range');
    }
    return { k: 'set', ...at, let: isLet, indexExprGetLookup, left, right };
  }

  expression(context: string, as: string): Expr {
    const [expr] = this.parseExpression(context);
    this.backup();
    void as;
    return expr;
  }

  pipeline(context: string, base: Expr): Command[] {
    const cmds: Command[] = [this.command(base)];
    for (;;) {
      const token = this.expectOneOf(T.Pipe, T.RightDelim, 'pipeline', 'pipe or right delimiter');
      if (token.typ === T.RightDelim) break;
      const next = this.nextNonSpace();
      if (next.typ === T.Field || next.typ === T.Identifier) {
        this.backup();
        cmds.push(this.command(null));
      } else {
        this.unexpected(next, 'pipeline', 'field or identifier');
      }
    }
    void context;
    return cmds;
  }

  command(base: Expr | null): Command {
    this.peekNonSpace();
    const at = this.at();
    const expr = base ?? this.expression('command', 'name');
    if (expr.k === 'call') return { ...at, base: expr.base, args: expr.args };
    const next = this.nextNonSpace();
    if (next.typ === T.Colon) return { ...at, base: expr, args: this.parseArguments() };
    this.backup();
    return { ...at, base: expr, args: null };
  }

  operand(context: string): Expr {
    let node = this.term();
    if (node === null) this.unexpected(this.next(), context, 'term');
    for (;;) {
      if (this.peek().typ === T.Field) {
        const fields: string[] = [];
        while (this.peekNonSpace().typ === T.Field) fields.push(this.next().val.slice(1));
        if (node.k === 'field') node = { k: 'field', ...this.at(), idents: [...node.idents, ...fields] };
        else if (node.k === 'bool' || node.k === 'string' || node.k === 'number' || node.k === 'nil') {
          this.errorf(`unexpected . after term ${JSON.stringify(exprText(node))}`);
        } else node = { k: 'chain', ...this.at(), node, fields };
      }
      if (!(node.k === 'ident' || node.k === 'call' || node.k === 'field' || node.k === 'chain' || node.k === 'index')) return node;
      const next = this.nextNonSpace();
      if (next.typ === T.LeftParen) {
        const args = this.parseArguments();
        this.expect(T.RightParen, 'call expression', 'closing parenthesis');
        node = { k: 'call', ...this.at(), base: node, args };
        continue;
      }
      if (next.typ === T.LeftBrackets) {
        const base: Expr = node;
        let index: Expr | null = null;
        let end: Item;
        if (this.peekNonSpace().typ !== T.Colon) [index, end] = this.parseExpression('index|slice expression');
        else end = this.nextNonSpace();
        if (end.typ === T.Colon) {
          let endIndex: Expr | null = null;
          if (this.peekNonSpace().typ !== T.RightBrackets) endIndex = this.expression('slice expression', 'end index');
          node = { k: 'slice', path: base.path, line: base.line, base, index, end: endIndex };
        } else {
          if (end.typ === T.RightBrackets) node = { k: 'index', path: base.path, line: base.line, base, index: index as Expr };
          this.backup();
        }
        this.expect(T.RightBrackets, 'index expression', 'closing bracket');
        continue;
      }
      this.backup();
      return node;
    }
  }

  parseArguments(): CallArgs {
    const exprs: Expr[] = [];
    let hasPipeSlot = false;
    for (;;) {
      if (this.peekNonSpace().typ === T.RightParen) break;
      const [expr, end] = this.parseExpression('call expression argument list');
      if (expr.k === 'underscore') {
        if (hasPipeSlot) this.errorf("found two pipe slot markers ('_') for the same function call");
        hasPipeSlot = true;
      }
      exprs.push(expr);
      if (end.typ !== T.Comma) {
        this.backup();
        break;
      }
    }
    return { exprs, hasPipeSlot };
  }

  parseControl(allowElseIf: boolean, context: string): { set: SetNode | null; expr: Expr | null; list: List; elseList: List | null; at: { path: string; line: number } } {
    const at = this.at();
    let expr: Expr | null = this.assignmentOrExpression(context);
    let set: SetNode | null = null;
    if (expr.k === 'set') {
      set = expr;
      if (context !== 'range') {
        this.expect(T.Semicolon, context, 'semicolon between assignment and expression');
        expr = this.expression(context, 'expression after assignment');
      } else {
        expr = null;
      }
    }
    this.expectRightDelim(context);
    const [list, next] = this.itemList(['else', 'end']);
    let elseList: List | null = null;
    if (next.k === 'else') {
      if (allowElseIf && this.peek().typ === T.If) {
        this.next();
        elseList = { nodes: [this.nest(() => this.ifControl())] };
      } else {
        [elseList] = this.itemList(['end']);
      }
    }
    return { set, expr, list, elseList, at };
  }

  ifControl(): Stmt {
    const c = this.parseControl(true, 'if');
    return { k: 'if', ...c.at, set: c.set, expr: c.expr, list: c.list, elseList: c.elseList };
  }

  rangeControl(): Stmt {
    const c = this.parseControl(false, 'range');
    return { k: 'range', ...c.at, set: c.set, expr: c.expr, list: c.list, elseList: c.elseList };
  }

  elseControl(): Stmt {
    if (this.peekNonSpace().typ === T.If) return { k: 'else', elseIf: true };
    this.expectRightDelim('else');
    return { k: 'else', elseIf: false };
  }

  parseTry(): Stmt {
    const at = this.at();
    this.expectRightDelim('try');
    const [list, next] = this.itemList(['catch', 'end']);
    if (next.k === 'catch') return { k: 'try', ...at, list, catchVar: next.errVar, catchList: next.list, hasCatch: true };
    return { k: 'try', ...at, list, catchVar: null, catchList: null, hasCatch: false };
  }

  parseCatch(): Stmt {
    const at = this.at();
    let errVar: string | null = null;
    if (this.peekNonSpace().typ !== T.RightDelim) {
      const v = this.term();
      if (v === null || v.k !== 'ident') this.errorf(`unexpected node type '${v === null ? 'nil' : v.k}' in catch`);
      errVar = v.name;
    }
    this.expectRightDelim('catch');
    const [list] = this.itemList(['end']);
    return { k: 'catch', ...at, errVar, list };
  }

  term(): Expr | null {
    const token = this.nextNonSpace();
    const at = this.at();
    switch (token.typ) {
      case T.Error:
        return this.errorf(token.val);
      case T.Identifier:
        return { k: 'ident', ...at, name: token.val };
      case T.Underscore:
        return { k: 'underscore', ...at };
      case T.Nil:
        return { k: 'nil', ...at };
      case T.Field:
        return { k: 'field', ...at, idents: [token.val.slice(1)] };
      case T.Bool:
        return { k: 'bool', ...at, value: token.val === 'true' };
      case T.CharConstant:
      case T.Complex:
      case T.Number:
        return this.number(token);
      case T.LeftParen: {
        const inner = this.nest(() => this.expression('parenthesized expression', 'expression'));
        const close = this.next();
        if (close.typ !== T.RightParen) this.unexpected(close, 'parenthesized expression', 'closing parenthesis');
        return inner;
      }
      case T.String:
      case T.RawString:
        try {
          return { k: 'string', ...at, text: unquote(token.val), quoted: token.val };
        } catch (e) {
          return this.errorf((e as Error).message);
        }
    }
    this.backup();
    return null;
  }

  number(token: Item): Expr {
    const text = token.val;
    const at = this.at();
    if (token.typ === T.CharConstant) {
      let value: string;
      try {
        const [c, end] = unquoteChar(text, 1, "'");
        if (text.slice(end) !== "'") this.errorf(`malformed character constant: ${text}`);
        value = c;
      } catch (e) {
        if (e instanceof JetError) throw e;
        return this.errorf('invalid syntax');
      }
      return { k: 'number', ...at, value: value.codePointAt(0) ?? 0, isInt: true, isFloat: true, text };
    }
    if (text.endsWith('i')) this.errorf(`complex numbers are not supported: ${text}`);
    const i = parseIntBase0(text);
    if (i !== null) return { k: 'number', ...at, value: i, isInt: true, isFloat: true, text };
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) || /^[+-]?0[xX]/.test(text)) {
      const f = Number(text);
      if (Number.isNaN(f)) this.errorf(`illegal number syntax: ${JSON.stringify(text)}`);
      if (!/[.eE]/.test(text)) this.errorf(`integer overflow: ${JSON.stringify(text)}`);
      return { k: 'number', ...at, value: f, isInt: Number.isInteger(f) && Math.abs(f) < 2 ** 63, isFloat: true, text };
    }
    return this.errorf(`illegal number syntax: ${JSON.stringify(text)}`);
  }
}

function markerText(n: Stmt): string {
  return n.k === 'end' ? '{{end}}' : n.k === 'else' ? '{{else}}' : '{{content}}';
}

/** The source form of an expression, for messages. */
export function exprText(e: Expr): string {
  switch (e.k) {
    case 'string':
      return e.quoted;
    case 'nil':
      return 'nil';
    case 'number':
      return e.text;
    case 'bool':
      return e.value ? 'true' : 'false';
    case 'ident':
      return e.name;
    case 'underscore':
      return '_';
    case 'field':
      return e.idents.map((i) => '.' + i).join('');
    case 'chain':
      return exprText(e.node) + e.fields.map((f) => '.' + f).join('');
    case 'call':
      return `${exprText(e.base)}(${e.args.exprs.map(exprText).join(', ')})`;
    case 'index':
      return `${exprText(e.base)}[${exprText(e.index)}]`;
    case 'slice':
      return `${exprText(e.base)}[${e.index === null ? '' : exprText(e.index)}:${e.end === null ? '' : exprText(e.end)}]`;
    case 'not':
      return `!${exprText(e.expr)}`;
    case 'ternary':
      return `${exprText(e.cond)}?${exprText(e.left)}:${exprText(e.right)}`;
    case 'set':
      return `${e.left.map(exprText).join(', ')}${e.let ? ':=' : '='}${e.right.map(exprText).join(', ')}`;
    case 'additive':
      return e.left === null ? `${e.op === T.Minus ? '-' : '+'}${exprText(e.right)}` : `${exprText(e.left)}${e.op === T.Minus ? '-' : '+'}${exprText(e.right)}`;
    default:
      return `${exprText(e.left)} ${OPERATOR_TEXT[e.op] ?? '?'} ${exprText(e.right)}`;
  }
}

const OPERATOR_TEXT: Partial<Record<T, string>> = {
  [T.Mul]: '*',
  [T.Div]: '/',
  [T.Mod]: '%',
  [T.Equals]: '==',
  [T.NotEquals]: '!=',
  [T.Great]: '>',
  [T.GreatEquals]: '>=',
  [T.Less]: '<',
  [T.LessEquals]: '<=',
  [T.And]: '&&',
  [T.Or]: '||',
};

/** Parses one template. `load` resolves the templates it extends and imports. */
export function parseTemplate(name: string, text: string, delims: Delimiters, load: SiblingLoader): Template {
  const p = new Parser(name, text, delims, load);
  p.parseTemplate();
  const blocks = new Map<string, BlockNode>();
  if (p.extendsTemplate !== null) for (const [k, v] of p.extendsTemplate.blocks) blocks.set(k, v);
  for (const imported of p.imports) for (const [k, v] of imported.blocks) blocks.set(k, v);
  for (const [k, v] of p.passedBlocks) blocks.set(k, v);
  return { name, extends: p.extendsTemplate, imports: p.imports, blocks, root: p.root };
}
