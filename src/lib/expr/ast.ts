/** The syntax tree of an expression (expr-lang's ast package, the node kinds its parser makes). */
import type { Loc } from './errors';

interface Base {
  loc: Loc;
}

export type Node =
  | (Base & { k: 'nil' })
  | (Base & { k: 'bool'; value: boolean })
  | (Base & { k: 'int'; value: number })
  | (Base & { k: 'float'; value: number })
  | (Base & { k: 'string'; value: string })
  | (Base & { k: 'bytes'; value: Uint8Array })
  | (Base & { k: 'ident'; name: string })
  | (Base & { k: 'unary'; op: string; node: Node })
  | (Base & { k: 'binary'; op: string; left: Node; right: Node })
  | (Base & { k: 'chain'; node: Node })
  | MemberNode
  | (Base & { k: 'slice'; node: Node; from: Node | null; to: Node | null })
  | (Base & { k: 'call'; callee: Node; args: Node[] })
  | (Base & { k: 'builtin'; name: string; args: Node[] })
  | (Base & { k: 'predicate'; node: Node })
  | (Base & { k: 'pointer'; name: string })
  | (Base & { k: 'let'; name: string; value: Node; expr: Node })
  | (Base & { k: 'seq'; nodes: Node[] })
  | (Base & { k: 'cond'; cond: Node; then: Node; else: Node })
  | (Base & { k: 'array'; nodes: Node[] })
  | (Base & { k: 'map'; pairs: PairNode[] });

export interface MemberNode extends Base {
  k: 'member';
  node: Node;
  property: Node;
  optional: boolean;
  method: boolean;
}

export interface PairNode extends Base {
  key: Node;
  value: Node;
}

export type NodeOf<K extends Node['k']> = Extract<Node, { k: K }>;
