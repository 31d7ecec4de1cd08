/**
 * The names a Lua script's returned table holds, read from its text without running it, so `method: mian` is
 * caught when the entry is checked, not when the process first runs. Only what the text settles is answered:
 * `return { main = main }`, or `local M = {}` filled by `function M.f()` / `M.f = ...` and `return M`.
 * Anything less plain (a returned function, a table that escapes into a call, a computed key) answers `null`:
 * not known, the run-time check decides.
 */
import * as luaparse from 'luaparse';
import { byteString, type LuaSource } from './lua';
import { eraseTypes } from '../dialect/erase-types';

type Node = luaparse.Node;

/** The keys of the table the chunk returns, sorted; `null` when the text does not settle them. */
export function returnedNames(source: LuaSource, erase: (s: string) => string = eraseTypes): string[] | null {
  let chunk: luaparse.Chunk;
  try {
    chunk = luaparse.parse(erase(byteString(source)), { luaVersion: '5.3', encodingMode: 'pseudo-latin1', comments: false, locations: false });
  } catch {
    return null; // the syntax check reports it
  }
  const last = chunk.body[chunk.body.length - 1];
  if (last === undefined || last.type !== 'ReturnStatement' || last.arguments.length !== 1) return null;
  const returned = last.arguments[0];
  if (returned.type === 'TableConstructorExpression') return sorted(tableKeys(returned));
  if (returned.type !== 'Identifier') return null;
  return sorted(namesOfLocalTable(chunk, returned.name));
}

function sorted(names: string[] | null): string[] | null {
  return names === null ? null : [...new Set(names)].sort();
}

/** The static keys of `{ a = 1, ["b"] = 2 }`; `null` with a positional or computed key. */
function tableKeys(table: luaparse.TableConstructorExpression): string[] | null {
  const keys: string[] = [];
  for (const field of table.fields) {
    if (field.type === 'TableKeyString') keys.push(field.key.name);
    else if (field.type === 'TableKey' && field.key.type === 'StringLiteral' && field.key.value !== null) keys.push(field.key.value);
    else return null;
  }
  return keys;
}

/** The string key of `M.f` or `M["f"]` on identifier `name`, else null. */
function memberKey(node: Node, name: string): string | null {
  if (node.type === 'MemberExpression' && node.indexer === '.' && node.base.type === 'Identifier' && node.base.name === name) return node.identifier.name;
  if (node.type === 'IndexExpression' && node.base.type === 'Identifier' && node.base.name === name && node.index.type === 'StringLiteral') return node.index.value;
  return null;
}

/**
 * `local M = {...}` at the top, then only `function M.f`, `M.f = v` and reads of `M.x`: the keys it ends with.
 * Any other use of `M` (passed along, assigned, a computed key, a second `local M`) might add keys: `null`.
 */
function namesOfLocalTable(chunk: luaparse.Chunk, name: string): string[] | null {
  const decl = chunk.body.find(
    (s): s is luaparse.LocalStatement => s.type === 'LocalStatement' && s.variables.length === 1 && s.variables[0].name === name,
  );
  if (decl === undefined || decl.init.length !== 1 || decl.init[0].type !== 'TableConstructorExpression') return null;
  const keys = tableKeys(decl.init[0]);
  if (keys === null) return null;
  let plain = true;
  for (const statement of chunk.body) {
    if (statement.type === 'FunctionDeclaration' && statement.identifier !== null && !statement.isLocal) {
      const key = memberKey(statement.identifier, name);
      if (key !== null) keys.push(key);
    } else if (statement.type === 'AssignmentStatement') {
      for (const target of statement.variables) {
        const key = memberKey(target, name);
        if (key !== null) keys.push(key);
      }
    }
  }
  // Every mention of the name must be the declaration, the return, or the base of a plain `M.x` / `M["x"]`.
  walk(chunk, (node, parent) => {
    if (node.type !== 'Identifier' || node.name !== name) return;
    if (parent === decl || parent === chunk.body[chunk.body.length - 1]) return;
    if (parent !== null && memberKey(parent, name) !== null && (parent as luaparse.MemberExpression).base === node) return;
    plain = false;
  });
  return plain ? keys : null;
}

/** Visits every node below `root` with its parent. */
function walk(root: Node, visit: (node: Node, parent: Node | null) => void): void {
  const stack: [Node, Node | null][] = [[root, null]];
  while (stack.length > 0) {
    const [node, parent] = stack.pop()!;
    visit(node, parent);
    for (const value of Object.values(node) as unknown[]) {
      if (Array.isArray(value)) {
        for (const child of value) if (isNode(child)) stack.push([child, node]);
      } else if (isNode(value)) stack.push([value, node]);
    }
  }
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
