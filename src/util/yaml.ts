/**
 * YAML (and JSON, a YAML subset) text → a plain JS document, with limits that keep a small hostile file small.
 *
 * js-yaml turns an alias (`*a`) into a second reference to the anchored node, so parsing a "billion laughs"
 * file is cheap; the blow-up comes later, when the loader walks the document (file:// interpolation copies
 * it, service inputs become process values) and every reference is expanded again. js-yaml bounds the nesting
 * it parses (maxDepth, 100) and the keys merged by `<<` (maxTotalMergeKeys, 10000), but not what aliases
 * expand to. So the parsed document is measured once, in time linear in what was written (each shared node
 * is measured once), and refused when its aliases expand it too far.
 */
import * as yaml from 'js-yaml';

/**
 * The most nodes aliases may add to a document: what it holds once every alias is expanded, minus what was
 * written. Sharing a lifecycle block among a hundred services adds a few thousand; a 1 KB alias bomb adds
 * billions. 100 000 more nodes cost the loader a few tens of milliseconds and megabytes.
 */
export const MAX_ALIAS_EXPANSION = 100_000;

/** The deepest an alias-expanded document may nest (js-yaml stops at 100 written levels; aliases stack). */
export const MAX_EXPANDED_DEPTH = 1_000;

// The YAML 1.2 core schema plus merge keys (`<<: *base`), which yaml.v3 supports. The
// default schema would also turn `2024-01-01` into a Date, which Wippy keeps as a string.
// The merge type must be implicit (resolved from the plain `<<`); extend([type]) adds it as explicit.
const mergeType = (yaml as unknown as { types: { merge: yaml.Type } }).types.merge;
export const SCHEMA = yaml.CORE_SCHEMA.extend({ implicit: [mergeType] });

/** A problem with the document, with the 1-based line when the parser knows it. */
export class YamlError extends Error {
  constructor(
    readonly reason: string,
    readonly line?: number,
  ) {
    super(reason);
  }
}

/** The 1-based line each mapping and list of the last documents parsed starts on (weakly held). */
const startLines = new WeakMap<object, number>();

/** The line a mapping or list of a parsed document starts on, when it came from `parseYaml`. */
export function lineOf(node: unknown): number | undefined {
  return typeof node === 'object' && node !== null ? startLines.get(node) : undefined;
}

export function parseYaml(text: string, filename: string): unknown {
  let doc: unknown;
  // js-yaml reports each node's opening and closing; the line at the opening is where the node starts.
  const open: number[] = [];
  const listener = (event: 'open' | 'close', state: { line: number; result: unknown }): void => {
    if (event === 'open') {
      open.push(state.line);
      return;
    }
    const line = open.pop();
    const node = state.result;
    if (line !== undefined && typeof node === 'object' && node !== null && !startLines.has(node)) startLines.set(node, line + 1);
  };
  try {
    doc = yaml.load(text, { schema: SCHEMA, filename, listener } as yaml.LoadOptions);
  } catch (err) {
    if (err instanceof yaml.YAMLException) {
      throw new YamlError(err.reason || err.message.split('\n')[0], err.mark ? err.mark.line + 1 : undefined);
    }
    throw err;
  }
  checkExpansion(doc);
  return doc;
}

interface Measure {
  /** Nodes once every alias below is expanded (this node included). */
  size: number;
  /** Levels of containers, this one included, once expanded. */
  depth: number;
}

/** Throws a YamlError when aliases expand `doc` beyond the limits above or make it contain itself. */
export function checkExpansion(doc: unknown): void {
  const measured = new Map<object, Measure>();
  const open = new Set<object>();
  let written = 1;

  const measure = (node: object, level: number): Measure => {
    const known = measured.get(node);
    if (known !== undefined) {
      if (level + known.depth > MAX_EXPANDED_DEPTH) tooDeep();
      return known;
    }
    if (open.has(node)) throw new YamlError('an alias refers to a node that contains it (recursive alias)');
    if (level >= MAX_EXPANDED_DEPTH) tooDeep();
    open.add(node);
    const children = Array.isArray(node) ? node : Object.values(node);
    written += children.length;
    const m: Measure = { size: 1, depth: 1 };
    for (const child of children) {
      if (typeof child !== 'object' || child === null) {
        m.size += 1;
        continue;
      }
      const c = measure(child, level + 1);
      m.size += c.size;
      if (c.depth + 1 > m.depth) m.depth = c.depth + 1;
    }
    open.delete(node);
    measured.set(node, m);
    return m;
  };

  if (typeof doc !== 'object' || doc === null) return;
  const { size } = measure(doc, 0);
  if (size - written > MAX_ALIAS_EXPANSION) {
    const expanded = Number.isSafeInteger(size) ? String(size) : size.toExponential(2);
    throw new YamlError(
      `YAML aliases expand the document from ${written} to ${expanded} nodes (the limit is ${MAX_ALIAS_EXPANSION} more than written)`,
    );
  }
}

function tooDeep(): never {
  throw new YamlError(`aliases nest the document more than ${MAX_EXPANDED_DEPTH} levels deep`);
}
