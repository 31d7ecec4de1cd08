/**
 * The `excel` module (spec.md beside this file): .xlsx workbooks as Wippy's module has them over excelize,
 * on src/lib/spreadsheet.ts. A workbook is plain data on the main thread; opening and writing files run in a
 * worker thread and block only the calling coroutine.
 */
import { lauxlib, lua, checkJsString, decodeUtf8, pushString, pushStringList, toJsString, type LuaState } from '../../engine/lua';
import { argObject, pushObject, type LuaTable } from '../../engine/slots';
import type { LuaVM } from '../../engine/vm';
import { goFloatText, readXlsx, SpreadsheetError, Workbook, writeXlsx, LIMITS, type Cell } from '../../lib/spreadsheet';
import type { ByteStream } from '../../lib/byte-stream';
import { fsModule, type FsApi } from '../fs';
import { streamModule, type StreamApi } from '../stream';
import { fail, pushError } from '../errors';
import { ErrorValue } from '../../kernel/value';
import { luaModule } from '../module';
import { settle } from '../settle';
import { functionTable, metatable } from '../../engine/binding';

/** One workbook userdata: the workbook until `close`. */
class WorkbookHandle {
  constructor(public book: Workbook | null) {}
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The cell a Lua value sets (nil clears it, as excelize's SetCellValue(nil) leaves the cell empty). */
function cellAt(T: LuaState, idx: number): Cell | null | string {
  switch (lua.lua_type(T, idx)) {
    case lua.LUA_TNIL:
    case lua.LUA_TNONE:
      return null;
    case lua.LUA_TBOOLEAN:
      return { kind: 'boolean', text: lua.lua_toboolean(T, idx) ? 'TRUE' : 'FALSE' };
    case lua.LUA_TNUMBER:
      return { kind: 'number', text: lua.lua_isinteger(T, idx) ? String(lua.lua_tointeger(T, idx)) : goFloatText(lua.lua_tonumber(T, idx)) };
    case lua.LUA_TSTRING:
      return { kind: 'string', text: toJsString(T, idx) };
    default:
      return `unsupported cell value type ${decodeUtf8(lauxlib.luaL_typename(T, idx))}`;
  }
}

/** Everything `stream` holds, up to LIMITS.fileBytes (one byte more tells that it is larger). */
async function readAll(stream: ByteStream): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const chunk = await stream.read(Math.min(1 << 20, LIMITS.fileBytes + 1 - size));
    if (chunk === null) break;
    chunks.push(chunk);
    size += chunk.length;
    if (size > LIMITS.fileBytes) throw new SpreadsheetError(`the spreadsheet is more than the ${LIMITS.fileBytes} bytes wisp reads`);
  }
  return Buffer.concat(chunks, size);
}

function installExcel(vm: LuaVM, files: FsApi, streams: StreamApi): void {
  /** The fs file or stream object at argument `n`, or null. */
  const streamAt = (T: LuaState, n: number): ByteStream | null => files.fileAt(T, n) ?? streams.streamAt(T, n);

  let workbookMeta: LuaTable;

  const internal = (T: LuaState, message: string, context?: string): number => fail(T, vm, message, 'Internal', { retryable: false, context });
  /** The one-value form (set_cell_value, write_to, close): the error alone. */
  const single = (T: LuaState, message: string, context?: string): number => {
    pushError(T, vm, new ErrorValue(message, 'Internal', false, null, null, { context }));
    return 1;
  };

  /** The open workbook of argument 1, or how to answer when there is none (`two`: nil, err; else err). */
  const withBook =
    (two: boolean, fn: (T: LuaState, book: Workbook) => number) =>
    (T: LuaState): number => {
      const h = argObject(T, 1);
      if (!(h instanceof WorkbookHandle)) return two ? fail(T, vm, 'workbook expected', 'Invalid', { retryable: false }) : single(T, 'workbook expected');
      if (h.book === null) return two ? internal(T, 'workbook is closed') : single(T, 'workbook is closed');
      return fn(T, h.book);
    };


  workbookMeta = metatable(vm,
    'excel.Workbook',
    {
      new_sheet: withBook(true, (T, book) => {
        const name = checkJsString(T, 2);
        try {
          lua.lua_pushinteger(T, book.newSheet(name));
        } catch (e) {
          return internal(T, messageOf(e), 'create sheet');
        }
        lua.lua_pushnil(T);
        return 2;
      }),
      get_sheet_list: withBook(true, (T, book) => (pushStringList(T, book.sheetNames()), lua.lua_pushnil(T), 2)),
      get_rows: withBook(true, (T, book) => {
        let rows: string[][];
        try {
          rows = book.rows(checkJsString(T, 2));
        } catch (e) {
          if (e instanceof SpreadsheetError) return internal(T, e.message, 'get rows');
          throw e;
        }
        lua.lua_createtable(T, rows.length, 0);
        rows.forEach((row, i) => {
          pushStringList(T, row);
          lua.lua_rawseti(T, -2, i + 1);
        });
        lua.lua_pushnil(T);
        return 2;
      }),
      set_cell_value: withBook(false, (T, book) => {
        const sheet = checkJsString(T, 2);
        const ref = checkJsString(T, 3);
        lauxlib.luaL_checkany(T, 4);
        const cell = cellAt(T, 4);
        if (typeof cell === 'string') return single(T, cell, 'set cell value');
        try {
          book.setCell(sheet, ref, cell);
        } catch (e) {
          if (e instanceof SpreadsheetError) return single(T, e.message, 'set cell value');
          throw e;
        }
        lua.lua_pushnil(T);
        return 1;
      }),
      write_to: withBook(false, (T, book) => {
        lauxlib.luaL_checktype(T, 2, lua.LUA_TUSERDATA);
        const writer = streamAt(T, 2);
        if (writer === null) return single(T, 'value does not implement io.Writer');
        return settle(
          vm,
          T,
          async () => {
            await writer.write(await writeXlsx(book));
            await writer.flush();
          },
          (R) => (lua.lua_pushnil(R), 1),
          (R, e) => single(R, messageOf(e), 'write workbook'),
        );
      }),
      close: (T) => {
        const h = argObject(T, 1);
        if (!(h instanceof WorkbookHandle)) return single(T, 'workbook expected');
        h.book = null;
        lua.lua_pushnil(T);
        return 1;
      },
    },
    {
      __tostring: (T) => {
        const h = argObject(T, 1);
        pushString(T, h instanceof WorkbookHandle && h.book === null ? 'excel.Workbook{closed}' : 'excel.Workbook{}');
        return 1;
      },
    },
  );

  const pushBook = (T: LuaState, book: Workbook): number => {
    pushObject(T, new WorkbookHandle(book), workbookMeta);
    lua.lua_pushnil(T);
    return 2;
  };

  vm.defineModule(
    'excel',
    functionTable(vm, {
      new: (T) => pushBook(T, new Workbook()),
      open: (T) => {
        // An fs file or a stream, as in Wippy; wisp also takes the file's bytes as a string.
        const reader = lua.lua_type(T, 1) === lua.LUA_TSTRING ? (lua.lua_tolstring(T, 1) as Uint8Array) : streamAt(T, 1);
        if (reader === null) return lauxlib.luaL_argerror(T, 1, 'expected reader object');
        return settle(
          vm,
          T,
          async () => readXlsx(reader instanceof Uint8Array ? reader : await readAll(reader)),
          (R, book) => pushBook(R, book),
          (R, e) => internal(R, `open Excel file: ${messageOf(e)}`, 'open'),
        );
      },
    }),
  );
}

export const excelModule = luaModule({
  name: 'excel',
  description: 'Excel file operations',
  classes: ['io', 'encoding'],
  needs: [fsModule, streamModule],
  install: (vm, ctx) => installExcel(vm, ctx.api(fsModule), ctx.api(streamModule)),
});
