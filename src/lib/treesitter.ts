/**
 * Tree-sitter for the `treesitter` module: web-tree-sitter (the C library compiled to WebAssembly) with the
 * grammars Wippy ships, loaded on first use from their npm packages (SQL from grammars/, see
 * scripts/build-sql-grammar.sh). Parsing is sliced: the parser is stopped every few milliseconds and
 * resumed on a later turn of the event loop, so a large or pathological source never holds the main thread,
 * and a parse past its time bound ends with an error.
 *
 * Positions are UTF-8 byte offsets and byte columns, as Wippy's (Go) bindings give them; web-tree-sitter
 * counts UTF-16 units, so a source that is not ASCII gets a TextMap between the two.
 *
 * Some of the C library's functions recurse over the tree (ts_node_string); on a deep tree they overflow the
 * WebAssembly stack and leave the shared module broken. Nothing here calls them: `sexp` walks with a cursor.
 * A WebAssembly fault anywhere marks the engine broken, and every later call fails cleanly.
 */
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { Language, Parser, Query, type Node, type Point, type Tree, type TreeCursor } from 'web-tree-sitter';

export type { Language, Node, Point, Query, Tree, TreeCursor, QueryCapture, QueryMatch, Range } from 'web-tree-sitter';

interface Grammar {
  readonly name: string;
  readonly aliases: readonly string[];
  /** npm package and file within it, or null for the grammar built into grammars/. */
  readonly pkg: string | null;
  readonly file: string;
}

/** Wippy's languages and aliases (runtime/lua/modules/treesitter/grammars.go). */
const GRAMMARS: readonly Grammar[] = [
  { name: 'lua', aliases: ['lua'], pkg: '@tree-sitter-grammars/tree-sitter-lua', file: 'tree-sitter-lua.wasm' },
  { name: 'php', aliases: ['php'], pkg: 'tree-sitter-php', file: 'tree-sitter-php.wasm' },
  { name: 'go', aliases: ['go', 'golang'], pkg: 'tree-sitter-go', file: 'tree-sitter-go.wasm' },
  { name: 'javascript', aliases: ['js', 'javascript'], pkg: 'tree-sitter-javascript', file: 'tree-sitter-javascript.wasm' },
  { name: 'typescript+jsx', aliases: ['tsx'], pkg: 'tree-sitter-typescript', file: 'tree-sitter-tsx.wasm' },
  { name: 'typescript', aliases: ['ts', 'typescript'], pkg: 'tree-sitter-typescript', file: 'tree-sitter-typescript.wasm' },
  { name: 'python', aliases: ['python', 'py'], pkg: 'tree-sitter-python', file: 'tree-sitter-python.wasm' },
  { name: 'c#', aliases: ['csharp', 'c#', 'cs'], pkg: 'tree-sitter-c-sharp', file: 'tree-sitter-c_sharp.wasm' },
  { name: 'html', aliases: ['html', 'html5'], pkg: 'tree-sitter-html', file: 'tree-sitter-html.wasm' },
  { name: 'markdown', aliases: ['markdown', 'md'], pkg: '@kerebron/wasm', file: 'assets/tree-sitter-markdown/tree-sitter-markdown.wasm' },
  { name: 'sql', aliases: ['sql'], pkg: null, file: 'tree-sitter-sql.wasm' },
];

export const LIMITS = {
  /** The largest source one parse takes. */
  sourceBytes: 16 * 1024 * 1024,
  /** How long one parse may run in all (its slices added up), unless the parser's timeout says less. */
  parseMs: 10_000,
  /** How long one slice of parsing (or one query run) holds the thread. */
  sliceMs: 5,
  /** How long one query run may take. */
  queryMs: 1_000,
  /**
   * How deep a syntax tree may nest. Past it a parse is refused: the query cursor's work grows with the square
   * of the nesting (100,000 levels take minutes), and its cancellation is not checked in that loop.
   */
  treeDepth: 4096,
  /** The most nodes one S-expression prints. */
  sexpNodes: 100_000,
  /** The most captures or matches one query run hands out. */
  results: 200_000,
  /** The longest query pattern. */
  patternChars: 256 * 1024,
};

export class TreeSitterError extends Error {
  constructor(
    message: string,
    readonly kind: 'Invalid' | 'Internal' = 'Internal',
  ) {
    super(message);
  }
}

/** WebAssembly's trap (an out-of-bounds access, a stack overflow), absent from the ES2022 lib types. */
const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new () => Error } }).WebAssembly.RuntimeError;

const byAlias = new Map<string, Grammar>();
for (const g of GRAMMARS) for (const a of g.aliases) byAlias.set(a, g);

/** The grammar of a language name or alias. */
export function grammarOf(alias: string): Grammar | undefined {
  return byAlias.get(alias);
}

/** Every language name (not the aliases), as `supported_languages` lists them. */
export function languageNames(): string[] {
  return GRAMMARS.map((g) => g.name);
}

/** A file of an npm package, whatever the package exports. */
function packageFile(pkg: string, file: string): string {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const path = join(dir, pkg, file);
    if (existsSync(path)) return path;
  }
  throw new TreeSitterError(`grammar file ${pkg}/${file} not found`);
}

let ready: Promise<void> | null = null;
let initialized = false;
let broken: string | null = null;

/** Loads the engine on first use: nothing to wait for once it is loaded. */
export function init(): void | Promise<void> {
  checkUsable();
  if (initialized) return;
  ready ??= Parser.init().then(() => void (initialized = true));
  return ready;
}
const languages = new Map<string, Promise<Language>>();

/** Fails when a WebAssembly fault has left the engine unusable. */
export function checkUsable(): void {
  if (broken !== null) throw new TreeSitterError(`tree-sitter is unavailable after an internal fault (${broken})`);
}

/** Runs `fn` against the engine; a WebAssembly fault breaks the engine for good and is reported. */
export function guarded<T>(fn: () => T): T {
  checkUsable();
  try {
    return fn();
  } catch (e) {
    if (e instanceof WasmRuntimeError) {
      broken = e.message;
      throw new TreeSitterError(`tree-sitter internal fault: ${e.message}`);
    }
    throw e;
  }
}

/** The language of `alias`, loading the engine and its grammar on first use. */
export function language(alias: string): Language | Promise<Language> {
  const grammar = byAlias.get(alias);
  if (grammar === undefined) throw new TreeSitterError(`unsupported language: ${alias}`, 'Invalid');
  checkUsable();
  let loading = languages.get(grammar.name);
  if (loading === undefined) {
    const path = grammar.pkg === null ? join(__dirname, '..', '..', 'grammars', grammar.file) : packageFile(grammar.pkg, grammar.file);
    loading = Promise.resolve(init()).then(() => Language.load(readFileSync(path)));
    languages.set(grammar.name, loading);
    loading.then(
      (lang) => loaded.set(grammar.name, lang),
      () => languages.delete(grammar.name),
    );
  }
  return loaded.get(grammar.name) ?? loading;
}

const loaded = new Map<string, Language>();

/** The grammar's name for a loaded Language (the one `get_language` answers). */
export function nameOf(lang: Language): string {
  for (const [name, l] of loaded) if (l === lang) return name;
  return lang.name ?? '';
}

/** Whether `bytes` is all ASCII (then UTF-16 units, bytes and columns coincide). */
function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return false;
  return true;
}

/**
 * Between web-tree-sitter's UTF-16 positions and the source's UTF-8 bytes. For ASCII sources it is the
 * identity and holds no table.
 */
export class TextMap {
  /** utf16[i] = the UTF-8 byte offset of UTF-16 unit i (length units + 1), or null for ASCII. */
  private readonly bytesAt: Uint32Array | null;
  /** UTF-16 offset of each line start. */
  private readonly lineStarts: number[] | null;
  readonly text: string;

  constructor(readonly bytes: Uint8Array) {
    if (isAscii(bytes)) {
      this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
      this.bytesAt = null;
      this.lineStarts = null;
      return;
    }
    this.text = new TextDecoder().decode(bytes);
    const map = new Uint32Array(this.text.length + 1);
    const lines = [0];
    let b = 0;
    for (let i = 0; i < this.text.length; i++) {
      map[i] = b;
      const c = this.text.charCodeAt(i);
      if (c === 10) lines.push(i + 1);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < this.text.length) {
        map[i + 1] = b; // the low half of a pair: the same character
        i++;
        b += 4;
      } else {
        b += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      }
    }
    map[this.text.length] = b;
    this.bytesAt = map;
    this.lineStarts = lines;
  }

  /** UTF-16 index → UTF-8 byte offset. */
  byte(index: number): number {
    if (this.bytesAt === null) return index;
    return this.bytesAt[Math.max(0, Math.min(index, this.bytesAt.length - 1))];
  }

  /** UTF-8 byte offset → UTF-16 index (the first unit at or after it). */
  index(byte: number): number {
    const map = this.bytesAt;
    if (map === null) return byte;
    let lo = 0;
    let hi = map.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (map[mid] < byte) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** A web-tree-sitter point → row and byte column. */
  point(p: Point): Point {
    if (this.lineStarts === null) return { row: p.row, column: p.column };
    const start = this.lineStarts[p.row] ?? 0;
    return { row: p.row, column: this.byte(start + p.column) - this.byte(start) };
  }

  /** Row and byte column → a web-tree-sitter point. */
  unpoint(p: Point): Point {
    if (this.lineStarts === null) return { row: p.row, column: p.column };
    const start = this.lineStarts[p.row] ?? 0;
    return { row: p.row, column: this.index(this.byte(start) + p.column) - start };
  }

  /** The source bytes between two UTF-16 indices. */
  slice(from: number, to: number): Uint8Array {
    return this.bytes.subarray(this.byte(from), this.byte(to));
  }
}

/**
 * Parses `source` with `parser` in slices of LIMITS.sliceMs, a turn of the event loop between them, for at
 * most `budgetMs` in all. Resolves with the tree (the first slice may finish it: then no Promise).
 */
export function parseSliced(parser: Parser, map: TextMap, oldTree: Tree | null, budgetMs: number): Tree | Promise<Tree> {
  if (map.bytes.length > LIMITS.sourceBytes) throw new TreeSitterError(`source too large (${map.bytes.length} bytes, at most ${LIMITS.sourceBytes})`, 'Invalid');
  let spent = 0;
  const slice = (): Tree | null => {
    const start = performance.now();
    const tree = guarded(() => parser.parse(map.text, oldTree, { progressCallback: () => performance.now() - start > LIMITS.sliceMs }));
    spent += performance.now() - start;
    return tree;
  };
  const tooLong = (): TreeSitterError => new TreeSitterError(`parse failed: it took longer than ${Math.round(budgetMs)} ms`);
  const tooDeep = (tree: Tree, deepest: number): TreeSitterError => {
    guarded(() => tree.delete());
    return new TreeSitterError(`parse failed: the syntax tree nests ${deepest} levels deep, more than the ${LIMITS.treeDepth} wisp allows`, 'Invalid');
  };
  // Most sources parse and measure within the first slice: then the answer is at once.
  const began = performance.now();
  let tree = slice();
  let depth: DepthWalk | null = null;
  if (tree !== null) {
    depth = new DepthWalk(tree);
    const deepest = guarded(() => (depth as DepthWalk).run(began + LIMITS.sliceMs));
    if (deepest !== null) {
      if (deepest > LIMITS.treeDepth) throw tooDeep(tree, deepest);
      return tree;
    }
  }
  return new Promise<Tree>((resolve, reject) => {
    const step = (): void => {
      try {
        if (spent > budgetMs) {
          if (tree === null) guarded(() => parser.reset());
          else guarded(() => tree?.delete());
          return reject(tooLong());
        }
        if (tree === null) {
          tree = slice();
          if (tree !== null) depth = new DepthWalk(tree);
          return void setImmediate(step);
        }
        const start = performance.now();
        const deepest = guarded(() => (depth as DepthWalk).run(start + LIMITS.sliceMs));
        spent += performance.now() - start;
        if (deepest === null) return void setImmediate(step);
        if (deepest > LIMITS.treeDepth) return reject(tooDeep(tree, deepest));
        resolve(tree);
      } catch (e) {
        reject(e);
      }
    };
    setImmediate(step);
  });
}

/** Finds how deep a tree nests, walking it with a cursor a slice at a time. */
class DepthWalk {
  private readonly cursor: TreeCursor;
  private depth = 0;
  private deepest = 0;

  constructor(tree: Tree) {
    this.cursor = tree.walk();
  }

  /** Walks until `deadline` (performance.now()); the deepest level once done, else null. */
  run(deadline: number): number | null {
    const c = this.cursor;
    for (let n = 0; ; n++) {
      if ((n & 1023) === 0 && performance.now() > deadline) return null;
      if (c.gotoFirstChild()) {
        if (++this.depth > this.deepest) this.deepest = this.depth;
        if (this.deepest > LIMITS.treeDepth) break;
        continue;
      }
      let done = false;
      while (!c.gotoNextSibling()) {
        if (this.depth === 0 || !c.gotoParent()) {
          done = true;
          break;
        }
        this.depth--;
      }
      if (done) break;
    }
    c.delete();
    return this.deepest;
  }
}

/** The S-expression of `node` as ts_node_string writes it, built with a cursor (no recursion). */
export function sexp(node: Node): string {
  const size = node.descendantCount;
  if (size > LIMITS.sexpNodes) throw new TreeSitterError(`node too large to print (${size} nodes, at most ${LIMITS.sexpNodes})`);
  const out: string[] = [];
  const cursor = node.walk();
  try {
    let depth = 0;
    const open: boolean[] = [];
    for (;;) {
      const n = cursor.currentNode;
      const field = depth === 0 ? null : cursor.currentFieldName;
      const shown = n.isNamed || n.isMissing;
      if (shown) {
        if (out.length > 0) out.push(' ');
        if (field !== null) out.push(`${field}: `);
        out.push(n.isMissing ? `(MISSING ${n.isNamed ? n.type : JSON.stringify(n.type)}` : `(${n.type}`);
      }
      open.push(shown);
      if (cursor.gotoFirstChild()) {
        depth++;
        continue;
      }
      for (;;) {
        if (open.pop() === true) out.push(')');
        if (depth === 0) return out.join('');
        if (cursor.gotoNextSibling()) break;
        cursor.gotoParent();
        depth--;
      }
    }
  } finally {
    cursor.delete();
  }
}

/** Runs `query` over `node` for at most LIMITS.queryMs (and `timeoutMicros` when set); too many results fail. */
export function runQuery<T>(query: Query, kind: 'captures' | 'matches', node: Node, options: { startIndex?: number; endIndex?: number; startPosition?: Point; endPosition?: Point; matchLimit?: number; maxStartDepth?: number; timeoutMicros: number }): T[] {
  const start = performance.now();
  const budget = options.timeoutMicros > 0 ? Math.min(LIMITS.queryMs, options.timeoutMicros / 1000) : LIMITS.queryMs;
  let timedOut = false;
  const opts = {
    ...options,
    timeoutMicros: undefined,
    progressCallback: () => (timedOut = performance.now() - start > budget),
  };
  const results = guarded(() => (kind === 'captures' ? query.captures(node, opts) : query.matches(node, opts))) as T[];
  if (timedOut) throw new TreeSitterError(`query timed out after ${Math.round(budget)} ms`);
  if (results.length > LIMITS.results) throw new TreeSitterError(`query produced ${results.length} results, more than the ${LIMITS.results} wisp hands out`);
  return results;
}

/** Compiles a query; a bad pattern is Invalid with the library's message. */
export function compileQuery(lang: Language, pattern: string): Query {
  if (pattern.length > LIMITS.patternChars) throw new TreeSitterError(`query pattern too long (${pattern.length} characters, at most ${LIMITS.patternChars})`, 'Invalid');
  return guarded(() => {
    try {
      return new Query(lang, pattern);
    } catch (e) {
      if (e instanceof WasmRuntimeError) throw e;
      throw new TreeSitterError(`invalid query: ${e instanceof Error ? e.message : String(e)}`, 'Invalid');
    }
  });
}

export { Parser };
