/**
 * Workbooks as Wippy's `excel` module sees them through excelize: sheets of cells holding strings, numbers
 * or booleans, read back as strings. The workbook lives here on the main thread as plain data; reading and
 * writing the .xlsx format is exceljs's, in a worker thread bounded in time and heap (src/lib/off-thread.ts),
 * so a large or hostile file never holds the main thread. Sizes are bounded too: the bytes of a file, the
 * cells a workbook holds, and the cells one `rows()` hands out.
 */
import { OffThread, OffThreadError } from './off-thread';

/** A cell as stored: its text as excelize would read it back, and whether it is a number or a boolean. */
export interface Cell {
  readonly kind: 'string' | 'number' | 'boolean';
  /** What `rows()` gives: the string, the number's text, TRUE/FALSE. */
  readonly text: string;
}

export interface SheetData {
  readonly name: string;
  /** [row, column, cell], both from 1. */
  readonly cells: [number, number, Cell][];
}

export const LIMITS = {
  /** The largest .xlsx file `open` reads. */
  fileBytes: 32 * 1024 * 1024,
  /** The most cells one workbook holds (set or read). */
  cells: 1_000_000,
  /** The most cells (empty ones between included) one `rows()` produces. */
  rowsCells: 2_000_000,
  /** How long reading or writing one file may take in the worker, and the worker's heap. */
  jobMs: 60_000,
  heapMb: 512,
  /** Excel's own bounds. */
  maxRow: 1_048_576,
  maxColumn: 16_384,
};

export class SpreadsheetError extends Error {}

/** "B12" → [12, 2]; excelize's message when it is not a cell name. */
export function parseCellRef(ref: string): [number, number] {
  const m = /^([A-Za-z]{1,3})([1-9][0-9]{0,6})$/.exec(ref);
  const bad = (): never => {
    throw new SpreadsheetError(`cannot convert cell "${ref}" to coordinates: invalid cell name "${ref}"`);
  };
  if (m === null) return bad();
  let col = 0;
  for (const ch of m[1].toUpperCase()) col = col * 26 + (ch.charCodeAt(0) - 64);
  const row = Number(m[2]);
  if (col > LIMITS.maxColumn || row > LIMITS.maxRow) return bad();
  return [row, col];
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that read back, never in exponent form. */
export function goFloatText(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  const s = String(v);
  if (!/e/i.test(s)) return s;
  const [mantissa, expText] = s.split(/e/i);
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace(/^-/, '').replace('.', '');
  const point = (mantissa.replace(/^-/, '').indexOf('.') + 1 || mantissa.replace(/^-/, '').length + 1) - 1 + exp;
  const body = point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (negative ? '-' : '') + body;
}

/** excelize's sheet name rules. */
function checkSheetName(name: string): void {
  if (name === '') throw new SpreadsheetError('the sheet name can not be blank');
  if ([...name].length > 31) throw new SpreadsheetError('the sheet name length exceeds the 31 characters limit');
  if (/[:\\/?*[\]]/.test(name)) throw new SpreadsheetError('the sheet can not contain any of the characters :\\/?*[or]');
  if (name.startsWith("'") || name.endsWith("'")) throw new SpreadsheetError('the first or last character of the sheet name can not be a single quote');
}

class Sheet {
  readonly cells = new Map<number, Map<number, Cell>>();
  constructor(readonly name: string) {}
}

export class Workbook {
  private readonly sheets: Sheet[] = [];
  private cellCount = 0;

  constructor(data?: readonly SheetData[]) {
    if (data === undefined || data.length === 0) {
      this.sheets.push(new Sheet('Sheet1'));
      return;
    }
    for (const s of data) {
      const sheet = new Sheet(s.name);
      this.sheets.push(sheet);
      for (const [row, col, cell] of s.cells) this.put(sheet, row, col, cell);
    }
  }

  sheetNames(): string[] {
    return this.sheets.map((s) => s.name);
  }

  /** The index (from 0) of sheet `name`, made when missing (names compare without case, as in Excel). */
  newSheet(name: string): number {
    const at = this.indexOf(name);
    if (at >= 0) return at;
    checkSheetName(name);
    this.sheets.push(new Sheet(name));
    return this.sheets.length - 1;
  }

  setCell(sheetName: string, ref: string, cell: Cell | null): void {
    const sheet = this.sheet(sheetName);
    const [row, col] = parseCellRef(ref);
    if (cell === null) {
      const line = sheet.cells.get(row);
      if (line?.delete(col) === true) this.cellCount--;
      return;
    }
    this.put(sheet, row, col, cell);
  }

  /** Every row up to the last with a cell; each row up to its last cell; empty cells are "". */
  rows(sheetName: string): string[][] {
    const sheet = this.sheet(sheetName);
    const rowNumbers = [...sheet.cells.keys()].filter((r) => (sheet.cells.get(r)?.size ?? 0) > 0);
    if (rowNumbers.length === 0) return [];
    const lastRow = Math.max(...rowNumbers);
    let total = lastRow;
    for (const r of rowNumbers) total += Math.max(...(sheet.cells.get(r) as Map<number, Cell>).keys());
    if (total > LIMITS.rowsCells) throw new SpreadsheetError(`sheet ${sheetName} is too large to read as rows (${total} cells, at most ${LIMITS.rowsCells})`);
    const out: string[][] = [];
    for (let r = 1; r <= lastRow; r++) {
      const line = sheet.cells.get(r);
      if (line === undefined || line.size === 0) {
        out.push([]);
        continue;
      }
      const row: string[] = new Array<string>(Math.max(...line.keys())).fill('');
      for (const [c, cell] of line) row[c - 1] = cell.text;
      out.push(row);
    }
    return out;
  }

  data(): SheetData[] {
    return this.sheets.map((s) => {
      const cells: [number, number, Cell][] = [];
      for (const [r, line] of s.cells) for (const [c, cell] of line) cells.push([r, c, cell]);
      return { name: s.name, cells };
    });
  }

  private indexOf(name: string): number {
    const lower = name.toLowerCase();
    return this.sheets.findIndex((s) => s.name.toLowerCase() === lower);
  }

  private sheet(name: string): Sheet {
    const at = this.indexOf(name);
    if (at < 0) throw new SpreadsheetError(`sheet ${name} does not exist`);
    return this.sheets[at];
  }

  private put(sheet: Sheet, row: number, col: number, cell: Cell): void {
    let line = sheet.cells.get(row);
    if (line === undefined) sheet.cells.set(row, (line = new Map()));
    if (!line.has(col)) {
      if (this.cellCount >= LIMITS.cells) throw new SpreadsheetError(`the workbook holds ${LIMITS.cells} cells, the most wisp allows`);
      this.cellCount++;
    }
    line.set(col, cell);
  }
}

interface XlsxRequest {
  readonly op: 'read' | 'write';
  readonly bytes?: Uint8Array;
  readonly sheets?: SheetData[];
  readonly maxCells: number;
}

/**
 * The worker's side: reads an .xlsx into sheets of cells (cell text as excelize gives it) or writes sheets
 * into .xlsx bytes, with exceljs (`lib.exceljs`). Self-contained: it runs from its source text.
 */
export async function xlsxJob(request: XlsxRequest, lib: Record<string, unknown>): Promise<SheetData[] | Uint8Array> {
  type Value = unknown;
  interface ExcelCell { value: Value; numFmt?: string }
  interface ExcelRow { eachCell(o: { includeEmpty: boolean }, f: (cell: ExcelCell, col: number) => void): void }
  interface ExcelSheet { name: string; eachRow(o: { includeEmpty: boolean }, f: (row: ExcelRow, n: number) => void): void; getCell(r: number, c: number): ExcelCell }
  interface ExcelBook {
    worksheets: ExcelSheet[];
    xlsx: { load(b: Uint8Array): Promise<unknown>; writeBuffer(): Promise<ArrayBuffer> };
    addWorksheet(name: string): ExcelSheet;
  }
  const ExcelJS = lib.exceljs as { Workbook: new () => ExcelBook };
  const book = new ExcelJS.Workbook();
  if (request.op === 'write') {
    for (const s of request.sheets ?? []) {
      const sheet = book.addWorksheet(s.name);
      for (const [r, c, cell] of s.cells) {
        sheet.getCell(r, c).value = cell.kind === 'number' ? Number(cell.text) : cell.kind === 'boolean' ? cell.text === 'TRUE' : cell.text;
      }
    }
    return new Uint8Array(await book.xlsx.writeBuffer());
  }
  await book.xlsx.load(request.bytes as Uint8Array);
  const numberText = (v: number): string => {
    if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
    return String(Number(v.toPrecision(15)));
  };
  const textOf = (v: Value): Cell | null => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'number') return { kind: 'number', text: numberText(v) };
    if (typeof v === 'boolean') return { kind: 'boolean', text: v ? 'TRUE' : 'FALSE' };
    if (typeof v === 'string') return { kind: 'string', text: v };
    if (v instanceof Date) return { kind: 'string', text: v.toISOString().replace(/T00:00:00\.000Z$/, '').replace('.000Z', 'Z') };
    if (typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (Array.isArray(o.richText)) return { kind: 'string', text: (o.richText as { text: string }[]).map((t) => t.text).join('') };
      if ('formula' in o || 'sharedFormula' in o) return textOf(o.result ?? null);
      if ('error' in o) return { kind: 'string', text: String(o.error) };
      if ('text' in o) return textOf(o.text ?? null);
    }
    return { kind: 'string', text: String(v) };
  };
  let count = 0;
  return book.worksheets.map((sheet) => {
    const cells: [number, number, Cell][] = [];
    sheet.eachRow({ includeEmpty: false }, (row, r) => {
      row.eachCell({ includeEmpty: false }, (cell, c) => {
        const text = textOf(cell.value);
        if (text === null) return;
        if (++count > request.maxCells) throw new Error(`the spreadsheet has more than ${request.maxCells} cells, the most wisp reads`);
        cells.push([r, c, text]);
      });
    });
    return { name: sheet.name, cells };
  });
}

const worker = new OffThread<XlsxRequest, SheetData[] | Uint8Array>(
  xlsxJob,
  { exceljs: require.resolve('exceljs') },
  {
    get timeoutMs() {
      return LIMITS.jobMs;
    },
    get heapMb() {
      return LIMITS.heapMb;
    },
    queueBytes: 64 * 1024 * 1024,
  },
  (request) => request.bytes?.length ?? (request.sheets ?? []).reduce((n, s) => n + s.cells.length * 64, 0),
);

const failure = (e: unknown): SpreadsheetError => {
  if (e instanceof OffThreadError && e.limit !== null) return new SpreadsheetError(`reading or writing the spreadsheet ${e.message}`);
  const message = e instanceof Error ? e.message : String(e);
  // JSZip's words for what excelize calls it.
  return new SpreadsheetError(/end of central directory|Corrupted zip|is this a zip file/i.test(message) ? 'zip: not a valid zip file' : message);
};

/** Reads .xlsx bytes into a workbook (in the worker). */
export async function readXlsx(bytes: Uint8Array): Promise<Workbook> {
  if (bytes.length === 0) throw new SpreadsheetError('zip: not a valid zip file');
  if (bytes.length > LIMITS.fileBytes) throw new SpreadsheetError(`the spreadsheet is ${bytes.length} bytes, more than the ${LIMITS.fileBytes} wisp reads`);
  const copy = bytes.slice();
  const sheets = await worker.run({ op: 'read', bytes: copy, maxCells: LIMITS.cells }, [copy.buffer as ArrayBuffer]).catch((e: unknown) => {
    throw failure(e);
  });
  return new Workbook(sheets as SheetData[]);
}

/** The workbook as .xlsx bytes (made in the worker). */
export async function writeXlsx(book: Workbook): Promise<Uint8Array> {
  const bytes = await worker.run({ op: 'write', sheets: book.data(), maxCells: LIMITS.cells }).catch((e: unknown) => {
    throw failure(e);
  });
  return bytes as Uint8Array;
}
