/**
 * Text splitters for chunking documents, with the rules of langchaingo's textsplitter that Wippy uses:
 * - recursive: split on the first separator the text contains ("\n\n", "\n", " ", "" by default), merge the
 *   pieces into chunks of at most `chunkSize` characters (runes) with up to `chunkOverlap` carried over, and
 *   split pieces that are still too long with the next separators;
 * - markdown: sections by heading (fenced code never splits a heading off), each section's text through the
 *   recursive splitter; with `headingHierarchy` each chunk starts with its headings, with `codeBlocks` a fenced
 *   block is kept whole in a chunk of its own, with `joinTableRows` a table's rows stay together.
 */

export interface SplitterOptions {
  chunkSize: number;
  chunkOverlap: number;
  separators: string[];
  keepSeparator: boolean;
  codeBlocks: boolean;
  referenceLinks: boolean;
  headingHierarchy: boolean;
  joinTableRows: boolean;
}

export const DEFAULT_SPLITTER_OPTIONS: SplitterOptions = {
  chunkSize: 512,
  chunkOverlap: 100,
  separators: ['\n\n', '\n', ' ', ''],
  keepSeparator: false,
  codeBlocks: false,
  referenceLinks: false,
  headingHierarchy: false,
  joinTableRows: false,
};

/** Characters as Go's utf8.RuneCountInString counts them. */
const runes = (s: string): number => {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
};

/** Joins pieces into chunks no longer than chunkSize (when the pieces allow), overlapping by chunkOverlap. */
function mergeSplits(splits: string[], separator: string, o: SplitterOptions): string[] {
  const docs: string[] = [];
  let current: string[] = [];
  let total = 0;
  const sepLen = runes(separator);
  const emit = (): void => {
    const doc = current.join(separator).trim();
    if (doc !== '') docs.push(doc);
  };
  for (const split of splits) {
    const len = runes(split);
    if (total + len + (current.length > 0 ? sepLen : 0) > o.chunkSize && current.length > 0) {
      emit();
      while (current.length > 0 && (total > o.chunkOverlap || (total + len + (current.length > 1 ? sepLen : 0) > o.chunkSize && total > 0))) {
        total -= runes(current[0]) + (current.length > 1 ? sepLen : 0);
        current = current.slice(1);
      }
    }
    current.push(split);
    total += len + (current.length > 1 ? sepLen : 0);
  }
  emit();
  return docs;
}

export function splitRecursive(text: string, o: SplitterOptions, separators: string[] = o.separators): string[] {
  let separator = separators[separators.length - 1] ?? '';
  let rest: string[] = [];
  for (let i = 0; i < separators.length; i++) {
    if (separators[i] === '' || text.includes(separators[i])) {
      separator = separators[i];
      rest = separators.slice(i + 1);
      break;
    }
  }
  let splits = separator === '' ? Array.from(text) : text.split(separator);
  if (o.keepSeparator && separator !== '') splits = splits.map((s, i) => (i < splits.length - 1 ? s + separator : s));
  const joiner = o.keepSeparator ? '' : separator;
  const out: string[] = [];
  let good: string[] = [];
  for (const split of splits) {
    if (runes(split) < o.chunkSize) {
      good.push(split);
      continue;
    }
    if (good.length > 0) {
      out.push(...mergeSplits(good, joiner, o));
      good = [];
    }
    if (rest.length === 0) out.push(split);
    else out.push(...splitRecursive(split, o, rest));
  }
  if (good.length > 0) out.push(...mergeSplits(good, joiner, o));
  return out;
}

interface Section {
  /** The headings above this section, outermost first ("# Title", "## Part"). */
  readonly headings: string[];
  /** Blocks of the section's body: text, or a fenced code block kept whole. */
  readonly blocks: { readonly code: boolean; readonly text: string }[];
}

const HEADING = /^(#{1,6})\s+\S/;
const FENCE = /^\s{0,3}(```|~~~)/;

function sections(text: string, o: SplitterOptions): Section[] {
  const out: Section[] = [];
  const path: string[] = [];
  let current: Section = { headings: [], blocks: [] };
  let buffer: string[] = [];
  let fence: string | null = null;
  let code: string[] = [];
  const flushText = (): void => {
    const t = buffer.join('\n');
    if (t.trim() !== '') current.blocks.push({ code: false, text: t });
    buffer = [];
  };
  for (const line of text.split('\n')) {
    const fenceMatch = FENCE.exec(line);
    if (fence !== null) {
      code.push(line);
      if (fenceMatch !== null && fenceMatch[1] === fence) {
        fence = null;
        if (o.codeBlocks) current.blocks.push({ code: true, text: code.join('\n') });
        else buffer.push(...code);
        code = [];
      }
      continue;
    }
    if (fenceMatch !== null) {
      if (o.codeBlocks) flushText();
      fence = fenceMatch[1];
      code = [line];
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading !== null) {
      flushText();
      if (current.blocks.length > 0 || current.headings.length > 0) out.push(current);
      const depth = heading[1].length;
      path.length = Math.min(path.length, depth - 1);
      path.push(line.trim());
      current = { headings: [...path], blocks: [] };
      continue;
    }
    buffer.push(line);
  }
  if (code.length > 0) buffer.push(...code); // an unclosed fence is text
  flushText();
  out.push(current);
  return out;
}

/** Keeps markdown table rows (lines starting with `|`) on one piece by replacing their breaks. */
function joinTables(text: string): string {
  return text.replace(/(^\|.*\|[ \t]*)\n(?=\|)/gm, '$1\u2028');
}

export function splitMarkdown(text: string, o: SplitterOptions): string[] {
  const out: string[] = [];
  for (const section of sections(text, o)) {
    const prefix = o.headingHierarchy ? section.headings.join('\n') : section.headings[section.headings.length - 1] ?? '';
    const room: SplitterOptions = { ...o, chunkSize: Math.max(1, o.chunkSize - (prefix === '' ? 0 : runes(prefix) + 1)) };
    const chunks: string[] = [];
    for (const block of section.blocks) {
      if (block.code) {
        chunks.push(block.text);
        continue;
      }
      const body = o.joinTableRows ? joinTables(block.text) : block.text;
      for (const c of splitRecursive(body, room)) chunks.push(o.joinTableRows ? c.replace(/\u2028/g, '\n') : c);
    }
    if (chunks.length === 0 && prefix !== '') out.push(prefix);
    for (const c of chunks) out.push(prefix === '' ? c : `${prefix}\n${c}`);
  }
  return out;
}
