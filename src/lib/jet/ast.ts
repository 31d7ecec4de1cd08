/** Jet's parse tree (node.go): statements of a template and the expressions inside its actions. */
import type { T } from './lexer';

interface At {
  /** The template the node was parsed from (its path) and its line, for runtime errors. */
  readonly path: string;
  readonly line: number;
}

export interface CallArgs {
  readonly exprs: Expr[];
  /** Whether one argument is `_`, the slot for a piped value. */
  readonly hasPipeSlot: boolean;
}

export type Expr =
  | (At & { k: 'string'; text: string; quoted: string })
  | (At & { k: 'nil' })
  | (At & { k: 'number'; value: number; isInt: boolean; isFloat: boolean; text: string })
  | (At & { k: 'bool'; value: boolean })
  | (At & { k: 'ident'; name: string })
  | (At & { k: 'underscore' })
  | (At & { k: 'field'; idents: string[] })
  | (At & { k: 'chain'; node: Expr; fields: string[] })
  | (At & { k: 'additive'; op: T; left: Expr | null; right: Expr })
  | (At & { k: 'multiplicative'; op: T; left: Expr; right: Expr })
  | (At & { k: 'comparative'; op: T; left: Expr; right: Expr })
  | (At & { k: 'numericComparative'; op: T; left: Expr; right: Expr })
  | (At & { k: 'logical'; op: T; left: Expr; right: Expr })
  | (At & { k: 'not'; expr: Expr })
  | (At & { k: 'ternary'; cond: Expr; left: Expr; right: Expr })
  | (At & { k: 'call'; base: Expr; args: CallArgs })
  | (At & { k: 'index'; base: Expr; index: Expr })
  | (At & { k: 'slice'; base: Expr; index: Expr | null; end: Expr | null })
  | SetNode;

export type ExprOf<K extends Expr['k']> = Extract<Expr, { k: K }>;

/** `a, b := x, y` / `a = x` (also the head of range and if). */
export interface SetNode extends At {
  readonly k: 'set';
  readonly let: boolean;
  readonly indexExprGetLookup: boolean;
  readonly left: Expr[];
  readonly right: Expr[];
}

/** One element of a pipeline: an expression, maybe called with arguments (`f(x)`, `f: x`). */
export interface Command extends At {
  readonly base: Expr;
  /** The call's arguments; null for a plain expression. */
  readonly args: CallArgs | null;
}

export interface BlockParameter {
  readonly identifier: string;
  readonly expr: Expr | null;
}

export interface List {
  readonly nodes: Stmt[];
}

export interface BlockNode extends At {
  readonly k: 'block';
  readonly name: string;
  readonly params: BlockParameter[];
  readonly context: Expr | null;
  readonly list: List;
  readonly content: List | null;
}

export type Stmt =
  | { k: 'text'; text: string }
  | (At & { k: 'action'; set: SetNode | null; pipe: Command[] | null })
  | (At & { k: 'if'; set: SetNode | null; expr: Expr | null; list: List; elseList: List | null })
  | (At & { k: 'range'; set: SetNode | null; expr: Expr | null; list: List; elseList: List | null })
  | BlockNode
  | (At & { k: 'yield'; name: string; params: BlockParameter[]; context: Expr | null; content: List | null; isContent: boolean })
  | (At & { k: 'include'; name: Expr; context: Expr | null })
  | (At & { k: 'return'; value: Expr })
  | (At & { k: 'try'; list: List; catchVar: string | null; catchList: List | null; hasCatch: boolean })
  // Markers the parser uses to end lists; never in a finished tree.
  | { k: 'end' }
  | { k: 'else'; elseIf: boolean }
  | { k: 'content' }
  | (At & { k: 'catch'; errVar: string | null; list: List });

export type StmtOf<K extends Stmt['k']> = Extract<Stmt, { k: K }>;
