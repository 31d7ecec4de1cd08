/**
 * The `http_client` module (spec.md beside this file): Wippy's HTTP client calls. Lua options are read here as
 * Wippy's parseOptions reads them; the exchange itself is src/lib/http-client.ts. A request blocks only its
 * coroutine; a process that ends cancels its requests and closes its response streams.
 */
import { lua, lauxlib, checkJsString, pushNumber, pushString, toJsString, type LuaState } from '../../engine/lua';
import { captureFrames, pushError } from '../errors';
import { ErrorValue, type ErrorKind } from '../../kernel/value';
import { settle } from '../settle';
import { messageOf } from '../../lib/message';
import { durationFrom } from '../../lib/duration';
import { readAll, type ByteStream } from '../../lib/byte-stream';
import { queryEscape, queryUnescape, send, type FileUpload, type HttpRequest, type HttpResponse } from '../../lib/http-client';
import { MAX_STRING_BYTES } from '../../engine/limits';
import { streamModule, type StreamApi } from '../stream';
import type { LuaVM } from '../../engine/vm';
import type { LuaProcess, Resource } from '../../engine/process';
import type { JSFunction } from 'fengari';
import { setMaxListeners } from 'events';
import { luaModule } from '../module';
import { denied, securityGuard, type Guard } from '../guard';
import { functionTable, setDataField, setField } from '../../engine/binding';

/** Wippy's default is 120 MB; a Lua string holds at most MAX_STRING_BYTES, so that is the ceiling here. */
const DEFAULT_MAX_BODY = MAX_STRING_BYTES;

type Pairs = [string, string][];

/** One request of a batch: its response or why it failed. */
type Settled = { res: HttpResponse; error: null } | { res: null; error: unknown };

/** What parseOptions reads besides the request itself: file contents still to be read from streams. */
interface Parsed {
  readonly request: Omit<HttpRequest, 'method' | 'url'>;
  readonly readers: { readonly field: string; readonly filename: string; readonly stream: ByteStream }[];
}

function installHttpClient(vm: LuaVM, streams: StreamApi, guard: Guard): void {
  /** Fields of the table at `idx` whose key and value are both strings (others are skipped, as in Wippy). */
  const stringPairs = (T: LuaState, idx: number): Pairs => {
    const out: Pairs = [];
    lua.lua_pushnil(T);
    while (lua.lua_next(T, idx)) {
      if (lua.lua_type(T, -2) === lua.LUA_TSTRING && lua.lua_type(T, -1) === lua.LUA_TSTRING) out.push([toJsString(T, -2), toJsString(T, -1)]);
      lua.lua_settop(T, -2);
    }
    return out;
  };

  /** Runs `read` with field `name` of the table at `idx` on top of the stack when it has type `type`. */
  const field = <R>(T: LuaState, idx: number, name: string, type: number, read: (top: number) => R): R | undefined => {
    lua.lua_getfield(T, idx, name);
    try {
      return lua.lua_type(T, -1) === type ? read(lua.lua_gettop(T)) : undefined;
    } finally {
      lua.lua_settop(T, -2);
    }
  };

  const bytesAt = (T: LuaState, idx: number): Uint8Array => lua.lua_tolstring(T, idx) as Uint8Array;

  /** A timeout: seconds (truncated, as Go's time.Duration(v) conversion does) or a Go duration string. */
  const timeoutAt = (T: LuaState, idx: number): number => {
    lua.lua_getfield(T, idx, 'timeout');
    try {
      const type = lua.lua_type(T, -1);
      if (type === lua.LUA_TNUMBER) return Math.max(0, Math.trunc(lua.lua_tonumber(T, -1))) * 1000;
      if (type === lua.LUA_TSTRING) return Math.max(0, durationFrom(toJsString(T, -1)) / 1e6);
      return 0;
    } catch {
      return 0; // an unparsable duration is ignored, as in Wippy
    } finally {
      lua.lua_settop(T, -2);
    }
  };

  const parseOptions = (T: LuaState, idx: number, batch: boolean): Parsed => {
    const files: FileUpload[] = [];
    const readers: Parsed['readers'][number][] = [];
    const none: Pairs = [];
    if (lua.lua_type(T, idx) !== lua.LUA_TTABLE) {
      if (!lua.lua_isnoneornil(T, idx) && !batch) lauxlib.luaL_checktype(T, idx, lua.LUA_TTABLE);
      return { request: { headers: none, body: null, query: none, cookies: none, form: none, files, auth: null, timeoutMs: 0, stream: false, maxBody: DEFAULT_MAX_BODY, unixSocket: null }, readers };
    }
    idx = lua.lua_absindex(T, idx);
    field(T, idx, 'files', lua.LUA_TTABLE, (t) => {
      lua.lua_pushnil(T);
      while (lua.lua_next(T, t)) {
        if (lua.lua_type(T, -1) === lua.LUA_TTABLE) {
          const f = lua.lua_gettop(T);
          const name = field(T, f, 'name', lua.LUA_TSTRING, (i) => toJsString(T, i)) ?? '';
          const filename = field(T, f, 'filename', lua.LUA_TSTRING, (i) => toJsString(T, i)) ?? '';
          const content = field(T, f, 'content', lua.LUA_TSTRING, (i) => bytesAt(T, i));
          const reader = content === undefined ? field(T, f, 'reader', lua.LUA_TUSERDATA, (i) => streams.streamAt(T, i)) : undefined;
          if (name !== '' && content !== undefined && content.length > 0) files.push({ field: name, filename, data: content });
          else if (name !== '' && reader !== undefined && reader !== null && !batch) readers.push({ field: name, filename, stream: reader });
        }
        lua.lua_settop(T, -2);
      }
    });
    const auth = field(T, idx, 'auth', lua.LUA_TTABLE, (a) => ({
      user: field(T, a, 'user', lua.LUA_TSTRING, (i) => toJsString(T, i)) ?? '',
      pass: field(T, a, 'pass', lua.LUA_TSTRING, (i) => toJsString(T, i)) ?? '',
    }));
    const maxBody = field(T, idx, 'max_response_body', lua.LUA_TNUMBER, (i) => Math.trunc(lua.lua_tonumber(T, i))) ?? 0;
    return {
      request: {
        headers: field(T, idx, 'headers', lua.LUA_TTABLE, (t) => stringPairs(T, t)) ?? none,
        body: field(T, idx, 'body', lua.LUA_TSTRING, (i) => bytesAt(T, i)) ?? null,
        query: field(T, idx, 'query', lua.LUA_TTABLE, (t) => stringPairs(T, t)) ?? none,
        cookies: field(T, idx, 'cookies', lua.LUA_TTABLE, (t) => stringPairs(T, t)) ?? none,
        form: field(T, idx, 'form', lua.LUA_TTABLE, (t) => stringPairs(T, t)) ?? none,
        files,
        auth: auth !== undefined && auth.user !== '' ? auth : null,
        timeoutMs: timeoutAt(T, idx),
        stream: field(T, idx, 'stream', lua.LUA_TBOOLEAN, (i) => lua.lua_toboolean(T, i)) ?? false,
        maxBody: maxBody > 0 ? Math.min(maxBody, MAX_STRING_BYTES) : DEFAULT_MAX_BODY,
        unixSocket: field(T, idx, 'unix_socket', lua.LUA_TSTRING, (i) => toJsString(T, i)) ?? null,
      },
      readers,
    };
  };

  const pushFailure = (T: LuaState, message: string, kind: ErrorKind, retryable: boolean): number => {
    lua.lua_pushnil(T);
    pushError(T, vm, new ErrorValue(message, kind, retryable, null, null, { frames: captureFrames(T) }));
    return 2;
  };

  const pushMap = (T: LuaState, name: string, map: ReadonlyMap<string, string>): void => {
    if (map.size === 0) return;
    setField(vm, T, -1, name, () => {
      lua.lua_createtable(T, 0, map.size);
      for (const [k, v] of map) setDataField(T, -1, k, () => pushString(T, v));
    });
  };

  /** The plain result table of Wippy's HandleResult. */
  const pushResponse = (T: LuaState, res: HttpResponse): void => {
    lua.lua_createtable(T, 0, 7);
    setField(vm, T, -1, 'status_code', () => lua.lua_pushinteger(T, res.status));
    setField(vm, T, -1, 'url', () => pushString(T, res.url));
    if (res.stream !== null) {
      const stream = res.stream;
      setField(vm, T, -1, 'stream', () => streams.push(T, stream));
      setField(vm, T, -1, 'body_size', () => lua.lua_pushinteger(T, -1));
    } else {
      const body = res.body ?? new Uint8Array(0);
      if (body.length > 0) setField(vm, T, -1, 'body', () => lua.lua_pushstring(T, body));
      setField(vm, T, -1, 'body_size', () => pushNumber(T, body.length));
    }
    pushMap(T, 'headers', res.headers);
    pushMap(T, 'cookies', res.cookies);
  };

  /**
   * Runs exchanges for the calling process, blocking its coroutine: they are cancelled if the process ends
   * first. Every failure is Internal and retryable, as Wippy's HandleResult makes it.
   */
  const exchange = <V>(T: LuaState, work: (proc: LuaProcess, cancel: AbortSignal) => Promise<V>, answer: (R: LuaState, value: V) => number): number => {
    const proc = vm.currentProcess(T);
    const controller = new AbortController();
    setMaxListeners(0, controller.signal); // one listener per request of a batch
    const cancel: Resource = { dispose: () => controller.abort() };
    proc.own(cancel);
    return settle(
      vm,
      T,
      () => work(proc, controller.signal).finally(() => proc.disown(cancel)),
      answer,
      (R, e) => pushFailure(R, messageOf(e), 'Internal', true),
    );
  };

  const perform = (T: LuaState, method: string, url: string, optsIdx: number): number => {
    const parsed = parseOptions(T, optsIdx, false);
    if (!guard(T, 'http_client.request', url)) return denied(T, vm, `not allowed: ${url}`);
    if (parsed.request.unixSocket !== null && !guard(T, 'http_client.unix_socket', parsed.request.unixSocket)) return denied(T, vm, `not allowed: unix socket ${parsed.request.unixSocket}`);
    return exchange(
      T,
      async (proc, cancel) => {
        const files = [...parsed.request.files];
        for (const r of parsed.readers) files.push({ field: r.field, filename: r.filename, data: await readAll(r.stream, MAX_STRING_BYTES) });
        const res = await send({ ...parsed.request, files, method, url }, cancel, proc);
        if (res.stream !== null) streams.adopt(proc, res.stream);
        return res;
      },
      (R, res) => (pushResponse(R, res), 1),
    );
  };

  const method = (name: string): JSFunction => (T) => {
    const url = checkJsString(T, 1);
    if (url === '') return lauxlib.luaL_argerror(T, 1, 'URL required');
    return perform(T, name, url, 2);
  };

  const requestBatch: JSFunction = (T) => {
    lauxlib.luaL_checktype(T, 1, lua.LUA_TTABLE);
    if (lua.lua_rawlen(T, 1) === 0) return lauxlib.luaL_argerror(T, 1, 'requests table cannot be empty');
    const requests: HttpRequest[] = [];
    let parseError: string | null = null;
    lua.lua_pushnil(T);
    while (parseError === null && lua.lua_next(T, 1)) {
      const item = lua.lua_gettop(T);
      if (lua.lua_type(T, item) !== lua.LUA_TTABLE) parseError = 'each request must be a table';
      else {
        lua.lua_rawgeti(T, item, 1);
        lua.lua_rawgeti(T, item, 2);
        lua.lua_rawgeti(T, item, 3);
        if (lua.lua_type(T, -3) !== lua.LUA_TSTRING) parseError = 'method must be a string';
        else if (lua.lua_type(T, -2) !== lua.LUA_TSTRING) parseError = 'URL must be a string';
        else {
          const parsed = parseOptions(T, -1, true);
          if (parsed.request.stream) parseError = 'streaming not supported in batch requests';
          else if (!guard(T, 'http_client.request', toJsString(T, -2))) parseError = `not allowed: ${toJsString(T, -2)}`;
          else requests.push({ ...parsed.request, method: toJsString(T, -3).toUpperCase(), url: toJsString(T, -2) });
        }
      }
      lua.lua_settop(T, item - 1);
    }
    if (parseError !== null) {
      lua.lua_settop(T, 1);
      return pushFailure(T, parseError, parseError.startsWith('not allowed: ') ? 'PermissionDenied' : 'Invalid', false);
    }
    return exchange(
      T,
      (_proc, cancel) => Promise.all(requests.map((r) => send(r, cancel).then((res): Settled => ({ res, error: null }), (e: unknown): Settled => ({ res: null, error: e })))),
      (R, results) => {
        lua.lua_createtable(R, results.length, 0);
        results.forEach((r, i) => {
          if (r.res !== null) {
            pushResponse(R, r.res);
            lua.lua_rawseti(R, -2, i + 1);
          }
        });
        if (results.every((r) => r.error === null)) {
          lua.lua_pushnil(R);
          return 2;
        }
        lua.lua_createtable(R, results.length, 0);
        results.forEach((r, i) => {
          if (r.error === null) return;
          pushError(R, vm, new ErrorValue(messageOf(r.error), 'Internal', true, null, null, { frames: captureFrames(R) }));
          lua.lua_rawseti(R, -2, i + 1);
        });
        return 2;
      },
    );
  };

  vm.defineModule(
    'http_client',
    functionTable(vm, {
      get: method('GET'),
      post: method('POST'),
      put: method('PUT'),
      delete: method('DELETE'),
      head: method('HEAD'),
      patch: method('PATCH'),
      request: (T) => {
        const name = checkJsString(T, 1).toUpperCase();
        if (name === '') return lauxlib.luaL_argerror(T, 1, 'method required');
        const url = checkJsString(T, 2);
        if (url === '') return lauxlib.luaL_argerror(T, 2, 'URL required');
        return perform(T, name, url, 3);
      },
      request_batch: requestBatch,
      encode_uri: (T) => {
        lauxlib.luaL_checkstring(T, 1);
        pushString(T, queryEscape(bytesAt(T, 1)));
        return 1;
      },
      decode_uri: (T) => {
        lauxlib.luaL_checkstring(T, 1);
        const r = queryUnescape(bytesAt(T, 1));
        if (!(r instanceof Uint8Array)) return pushFailure(T, `invalid URL escape "${r.bad}"`, 'Invalid', false);
        lua.lua_pushstring(T, r);
        return 1;
      },
    }),
  );
}

export const httpClientModule = luaModule({
  name: 'http_client',
  description: 'HTTP client requests (get, post, etc.)',
  classes: ['network', 'io', 'nondeterministic'],
  needs: [streamModule],
  install: (vm, ctx) => installHttpClient(vm, ctx.api(streamModule), securityGuard(vm, ctx.services)),
});
