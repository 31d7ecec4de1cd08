/**
 * excel through real Lua in a real VM: workbooks, sheets, cells and rows as excelize gives them, files read
 * in a worker thread, and hostile files: too large, too many cells (a small zip of a huge sheet), too slow;
 * each ends with a clear error while another process keeps running.
 */
import JSZip from 'jszip';
import { createVM } from '../../src/modules';
import { type Value } from '../../src/kernel/value';
import { LIMITS, Workbook, writeXlsx } from '../../src/lib/spreadsheet';
import { bystander, spawn } from '../helpers/lua';
import { bootProject, definitions, luaEntry, runLua, writeFiles } from '../helpers/service-project';
import { valueToPlain } from '../../src/engine/plain';

async function lua(body: string, args: Value[] = []): Promise<any> {
  const vm = createVM();
  const r = await spawn(vm, `local excel = require("excel")\nlocal function main(...)\n${body}\nend\nreturn { main = main }`, 'test:main', args, ['excel']).exit;
  if (r.error) throw new Error(r.error.stack ?? r.error.message);
  return valueToPlain(r.value);
}

/** An .xlsx whose first sheet has `rows` rows of 10 numeric cells: megabytes of XML, a small zip. */
async function bigSheet(rows: number): Promise<Uint8Array> {
  const zip = await JSZip.loadAsync(await writeXlsx(new Workbook()));
  const parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'];
  for (let r = 1; r <= rows; r++) {
    let row = `<row r="${r}">`;
    for (const c of 'ABCDEFGHIJ') row += `<c r="${c}${r}"><v>7</v></c>`;
    parts.push(`${row}</row>`);
  }
  parts.push('</sheetData></worksheet>');
  zip.file('xl/worksheets/sheet1.xml', parts.join(''));
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
}

const saved = { ...LIMITS };
afterEach(() => Object.assign(LIMITS, saved));

describe('excel', () => {
  test('sheets, cells and rows as excelize reads them back; errors as Wippy has them', async () => {
    const r = await lua(`
      local wb = excel.new()
      local i1 = wb:new_sheet("Data")
      local i2 = wb:new_sheet("data")
      wb:set_cell_value("Data", "A1", "Hello")
      wb:set_cell_value("Data", "b1", 123)
      wb:set_cell_value("Data", "C1", 45.67)
      wb:set_cell_value("Data", "D1", true)
      wb:set_cell_value("Data", "E1", 1e21)
      wb:set_cell_value("Data", "C3", 0.5)
      local bad_ref = wb:set_cell_value("Data", "A0", 1)
      local bad_value = wb:set_cell_value("Data", "A1", {})
      local _, bad_name = wb:new_sheet("a/b")
      local _, missing = wb:get_rows("Nope")
      local rows = wb:get_rows("Data")
      local str = tostring(wb)
      wb:close()
      local _, closed = wb:get_sheet_list()
      local closed_set = wb:set_cell_value("Data", "A1", 1)
      local e = function(x) return { kind = x:kind(), message = x:message(), retryable = x:retryable() } end
      return { i1 = i1, i2 = i2, sheets = excel.new():get_sheet_list(), rows = rows, str = str, closed_str = tostring(wb),
               bad_ref = e(bad_ref), bad_value = e(bad_value), bad_name = e(bad_name), missing = e(missing),
               closed = e(closed), closed_set = e(closed_set), empty = excel.new():get_rows("Sheet1") }`);
    expect([r.i1, r.i2]).toEqual([1, 1]);
    expect(r.sheets).toEqual(['Sheet1']);
    expect(r.rows).toEqual([['Hello', '123', '45.67', 'TRUE', '1000000000000000000000'], {}, ['', '', '0.5']]);
    expect([r.str, r.closed_str]).toEqual(['excel.Workbook{}', 'excel.Workbook{closed}']);
    const internal = { kind: 'Internal', retryable: false };
    expect(r.bad_ref).toEqual({ ...internal, message: 'cannot convert cell "A0" to coordinates: invalid cell name "A0"' });
    expect(r.bad_value).toEqual({ ...internal, message: 'unsupported cell value type table' });
    expect(r.bad_name).toMatchObject(internal);
    expect(r.missing).toEqual({ ...internal, message: 'sheet Nope does not exist' });
    expect(r.closed).toEqual({ ...internal, message: 'workbook is closed' });
    expect(r.closed_set).toEqual({ ...internal, message: 'workbook is closed' });
    expect(r.empty).toEqual({});
  });

  test('open reads an .xlsx (in a worker) into the same model; a bad file is an error', async () => {
    const book = new Workbook();
    book.newSheet('Sales');
    book.setCell('Sales', 'A1', { kind: 'string', text: 'Month' });
    book.setCell('Sales', 'B2', { kind: 'number', text: '10000' });
    book.setCell('Sales', 'C2', { kind: 'boolean', text: 'FALSE' });
    const bytes = await writeXlsx(book);
    const r = await lua(`
      local bytes = ...
      local wb, err = excel.open(bytes)
      local _, bad = excel.open("not a spreadsheet")
      local _, empty = excel.open("")
      return { err = err, sheets = wb:get_sheet_list(), rows = wb:get_rows("Sales"), bad = bad:message(), empty = empty:message(), kind = bad:kind() }`, [bytes]);
    expect(r.err).toBeUndefined();
    expect(r.sheets).toEqual(['Sheet1', 'Sales']);
    expect(r.rows).toEqual([['Month'], ['', '10000', 'FALSE']]);
    expect([r.bad, r.empty, r.kind]).toEqual(['open Excel file: zip: not a valid zip file', 'open Excel file: zip: not a valid zip file', 'Internal']);
    await expect(lua('return excel.open(42)')).rejects.toThrow(/bad argument #1 to 'open' \(expected reader object\)/);
  });

  test('hostile files end with a clear error within a bound while another process keeps running', async () => {
    LIMITS.cells = 100_000;
    const bomb = await bigSheet(25_000); // 250,000 cells in a zip of a few hundred kilobytes
    expect(bomb.length).toBeLessThan(2_000_000);
    const vm = createVM();
    const hostile = spawn(vm, `
      local excel = require("excel")
      return { main = function(bomb)
        local _, huge = excel.open(string.rep("x", 50 * 1024 * 1024))
        local _, cells = excel.open(bomb)
        return { huge = huge:message(), cells = cells:message() }
      end }`, 'test:hostile', [bomb], ['excel']);
    const ticker = bystander(vm, 50, '20ms');
    const started = Date.now();
    expect(valueToPlain((await ticker.exit).value)).toBe(50);
    expect(Date.now() - started).toBeLessThan(6000);
    const r = valueToPlain((await hostile.exit).value);
    expect(r).toEqual({
      huge: 'open Excel file: the spreadsheet is 52428800 bytes, more than the 33554432 wisp reads',
      cells: 'open Excel file: the spreadsheet has more than 100000 cells, the most wisp reads',
    });
    LIMITS.cells = saved.cells;
    LIMITS.jobMs = 200;
    const slow = await lua('local _, err = excel.open(...) return err:message()', [bomb]);
    expect(slow).toBe('open Excel file: reading or writing the spreadsheet took longer than 200 ms');
  }, 60000);

  test('write_to an fs file and open it again, as in Wippy', async () => {
    const dir = writeFiles({
      'src/_index.yaml': definitions(`  - name: files
    kind: fs.directory
    directory: ./data
    mode: "0755"
    auto_init: true
${luaEntry('roundtrip', 'roundtrip.lua', ['excel', 'fs'])}`),
      'src/roundtrip.lua': `local excel = require("excel")
local fs = require("fs")
return { main = function()
  local vol = fs.get("t:files")
  local wb = excel.new()
  wb:new_sheet("Sales")
  wb:set_cell_value("Sales", "A1", "Month")
  wb:set_cell_value("Sales", "B2", 10000)
  local f = vol:open("report.xlsx", "w")
  local werr = wb:write_to(f)
  f:close()
  local r = vol:open("report.xlsx", "r")
  local wb2, oerr = excel.open(r)
  r:close()
  local _, notwriter = wb:write_to(wb)
  return { werr = werr, oerr = oerr, sheets = wb2:get_sheet_list(), rows = wb2:get_rows("Sales"), size = vol:stat("report.xlsx").size > 1000 }
end }`,
    });
    const rt = await bootProject(dir);
    try {
      expect(await runLua(rt, 'roundtrip')).toEqual({ sheets: ['Sheet1', 'Sales'], rows: [['Month'], ['', '10000']], size: true });
    } finally {
      await rt.shutdown();
    }
  }, 30000);
});
