/**
 * The `http` module (spec.md beside this file): inside an endpoint's handler process, `http.request()` and
 * `http.response()` give the request being served and its response, with Wippy's methods, errors and
 * finishing rules; the constants tables. The exchange itself lives in the server (src/services/http); the
 * handler's context names it (src/api/http.ts).
 */
import { lua, lauxlib, checkJsString, pushNumber, pushString, toJsString, type LuaState } from '../../engine/lua';
import { argObject, pushObject } from '../../engine/slots';
import { pushError } from '../errors';
import { ErrorValue, type ErrorKind } from '../../kernel/value';
import { settle } from '../settle';
import { messageOf } from '../../lib/message';
import { canonicalHeaderKey } from '../../lib/http-header';
import { BytesStream, DEFAULT_CHUNK, type ByteStream } from '../../lib/byte-stream';
import { MAX_STRING_BYTES } from '../../engine/limits';
import { encodeAt, JsonError } from '../json/codec';
import { checkpointed } from '../../lib/checkpoint';
import { streamModule, type StreamApi } from '../stream';
import type { HttpExchange, HttpRequestView, HttpResponseWriter } from '../../api/http';
import { HTTP_EXCHANGE_KEY, HTTP_SERVER_KEY } from '../../registry/kinds/http';
import type { Resources } from '../../api/resources';
import type { LuaVM } from '../../engine/vm';
import { luaModule } from '../module';
import { parseMultipart, MultipartFileObject } from './multipart';
import '../../api/http';
import { functionTable, metatable, nestTable, setDataField, setField } from '../../engine/binding';
import { pushPlain } from '../../engine/plain';

const STATUS: Record<string, number> = {
  OK: 200, CREATED: 201, ACCEPTED: 202, NO_CONTENT: 204, PARTIAL_CONTENT: 206,
  MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, NOT_MODIFIED: 304, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308,
  BAD_REQUEST: 400, UNAUTHORIZED: 401, PAYMENT_REQUIRED: 402, FORBIDDEN: 403, NOT_FOUND: 404, METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406, CONFLICT: 409, GONE: 410, UNPROCESSABLE: 422, TOO_MANY_REQUESTS: 429,
  INTERNAL_ERROR: 500, INTERNAL_SERVER_ERROR: 500, NOT_IMPLEMENTED: 501, BAD_GATEWAY: 502, SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504, VERSION_NOT_SUPPORTED: 505,
};
const METHOD = { GET: 'GET', POST: 'POST', PUT: 'PUT', DELETE: 'DELETE', PATCH: 'PATCH', HEAD: 'HEAD', OPTIONS: 'OPTIONS' };
const CONTENT = {
  JSON: 'application/json', FORM: 'application/x-www-form-urlencoded', MULTIPART: 'multipart/form-data', TEXT: 'text/plain', STREAM: 'application/octet-stream',
};
const TRANSFER = { CHUNKED: 'chunked', SSE: 'sse' };
const ERROR = { PARSE_FAILED: 'PARSE_FAILED', INVALID_STATE: 'INVALID_STATE', WRITE_FAILED: 'WRITE_FAILED', STREAM_ERROR: 'STREAM_ERROR' };

const DEFAULT_READ_TIMEOUT_MS = 300_000;
const DEFAULT_MAX_MEMORY = 32 << 20;

class RequestObject {
  constructor(
    readonly view: HttpRequestView,
    readonly timeoutMs: number,
    readonly maxBody: number,
  ) {}
}

class ResponseObject {
  /** `set_transfer("sse")` or a first `write_event` switched it to SSE. */
  sse = false;
  constructor(readonly writer: HttpResponseWriter) {}
}

function installHttp(vm: LuaVM, streams: StreamApi, resources: Resources | undefined): void {
  const fail = (T: LuaState, message: string, kind: ErrorKind, first: () => void = () => lua.lua_pushnil(T)): number => {
    first();
    pushError(T, vm, new ErrorValue(message, kind, false));
    return 2;
  };

  /** The exchange of the running handler, or null (outside an endpoint call, or after it ended). */
  const exchangeOf = (T: LuaState): HttpExchange | null => {
    const proc = vm.currentProcess(T);
    const server = proc.context.get(HTTP_SERVER_KEY);
    const token = proc.context.get(HTTP_EXCHANGE_KEY);
    if (typeof server !== 'string' || typeof token !== 'string' || resources === undefined) return null;
    const facet = resources.get(server, 'http');
    if (facet instanceof ErrorValue) return null;
    return facet.exchange(token) ?? null;
  };

  const reqArg = (T: LuaState): RequestObject => {
    const o = argObject(T, 1);
    if (!(o instanceof RequestObject)) return lauxlib.luaL_argerror(T, 1, 'Request expected');
    return o;
  };
  const resArg = (T: LuaState): ResponseObject => {
    const o = argObject(T, 1);
    if (!(o instanceof ResponseObject)) return lauxlib.luaL_argerror(T, 1, 'Response expected');
    return o;
  };

  const pushOptString = (T: LuaState, s: string | undefined | null): number => {
    if (s === undefined || s === null) lua.lua_pushnil(T);
    else pushString(T, s);
    lua.lua_pushnil(T);
    return 2;
  };

  const queryOf = (view: HttpRequestView): URLSearchParams => new URLSearchParams(view.rawQuery);

  /** Reads the whole body within the request's limits. */
  const readBody = async (r: RequestObject): Promise<Uint8Array> => {
    const body = r.view.takeBody();
    if (body === null) return new Uint8Array(0);
    const limit = Math.min(r.maxBody, r.view.maxBodyBytes, MAX_STRING_BYTES);
    if (r.view.contentLength > limit) {
      void body.close();
      throw new ErrorValue('request body too large', 'Invalid', false);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ErrorValue('request body read timed out', 'Internal', true)), r.timeoutMs);
    });
    try {
      const chunks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        const chunk = await Promise.race([body.read(DEFAULT_CHUNK), timeout]);
        if (chunk === null) break;
        size += chunk.length;
        if (size > limit) {
          void body.close();
          throw new ErrorValue('request body too large', 'Invalid', false);
        }
        chunks.push(chunk);
      }
      return new Uint8Array(Buffer.concat(chunks, size));
    } finally {
      clearTimeout(timer);
    }
  };

  const errorFrom = (e: unknown, kind: ErrorKind = 'Internal'): ErrorValue => (e instanceof ErrorValue ? e : new ErrorValue(messageOf(e), kind, false));

  const requestMeta = metatable(vm, 'http.Request', {
    method: (T) => pushOptString(T, reqArg(T).view.method),
    path: (T) => pushOptString(T, reqArg(T).view.path),
    query: (T) => {
      const r = reqArg(T);
      return pushOptString(T, queryOf(r.view).get(checkJsString(T, 2)));
    },
    query_params: (T) => {
      const q = queryOf(reqArg(T).view);
      lua.lua_createtable(T, 0, 4);
      for (const key of new Set(q.keys())) setDataField(T, -1, key, () => pushString(T, q.getAll(key).join(',')));
      lua.lua_pushnil(T);
      return 2;
    },
    header: (T) => {
      const r = reqArg(T);
      // Go's header map is keyed by canonical names: only the canonical spelling finds a value.
      const values = r.view.headers.get(checkJsString(T, 2));
      return pushOptString(T, values?.join(', '));
    },
    content_type: (T) => pushOptString(T, reqArg(T).view.headers.get('Content-Type')?.[0]),
    content_length: (T) => (pushNumber(T, reqArg(T).view.contentLength), lua.lua_pushnil(T), 2),
    host: (T) => pushOptString(T, reqArg(T).view.host),
    remote_addr: (T) => pushOptString(T, reqArg(T).view.remoteAddr),
    has_body: (T) => (lua.lua_pushboolean(T, reqArg(T).view.contentLength > 0), lua.lua_pushnil(T), 2),
    accepts: (T) => {
      const r = reqArg(T);
      const want = checkJsString(T, 2);
      const accept = (r.view.headers.get('Accept') ?? []).join(',');
      const types = accept.split(',').map((s) => s.split(';')[0].trim());
      lua.lua_pushboolean(T, types.includes(want) || types.includes('*/*'));
      lua.lua_pushnil(T);
      return 2;
    },
    is_content_type: (T) => {
      const r = reqArg(T);
      const prefix = checkJsString(T, 2);
      lua.lua_pushboolean(T, (r.view.headers.get('Content-Type')?.[0] ?? '').startsWith(prefix));
      lua.lua_pushnil(T);
      return 2;
    },
    param: (T) => {
      const r = reqArg(T);
      const name = checkJsString(T, 2);
      if (r.view.params === null) return fail(T, 'no route info found in request context', 'Internal');
      return pushOptString(T, r.view.params.get(name));
    },
    params: (T) => {
      const r = reqArg(T);
      if (r.view.params === null) return fail(T, 'no route info found in request context', 'Internal');
      lua.lua_createtable(T, 0, r.view.params.size);
      for (const [k, v] of r.view.params) setField(vm, T, -1, k, () => pushString(T, v));
      lua.lua_pushnil(T);
      return 2;
    },
    body: (T) => {
      const r = reqArg(T);
      return settle(vm, T, () => readBody(r), (R, bytes) => (lua.lua_pushstring(R, bytes), lua.lua_pushnil(R), 2), (R, e) => fail(R, errorFrom(e).message, errorFrom(e).kind));
    },
    body_json: (T) => {
      const r = reqArg(T);
      return settle(
        vm,
        T,
        () => readBody(r),
        (R, bytes) => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
          } catch (e) {
            return fail(R, `invalid JSON: ${messageOf(e)}`, 'Invalid');
          }
          pushPlain(R, parsed, vm);
          lua.lua_pushnil(R);
          return 2;
        },
        (R, e) => fail(R, errorFrom(e).message, errorFrom(e).kind),
      );
    },
    stream: (T) => {
      const r = reqArg(T);
      const body: ByteStream = r.view.takeBody() ?? new BytesStream(new Uint8Array(0));
      const proc = vm.currentProcess(T);
      if (!streams.adopt(proc, body)) return fail(T, 'process ended', 'Internal');
      streams.push(T, body);
      lua.lua_pushnil(T);
      return 2;
    },
    parse_multipart: (T) => {
      const r = reqArg(T);
      const maxMemory = lua.lua_isnoneornil(T, 2) ? DEFAULT_MAX_MEMORY : Math.max(0, Math.trunc(lauxlib.luaL_checknumber(T, 2)));
      const contentType = r.view.headers.get('Content-Type')?.[0] ?? '';
      const proc = vm.currentProcess(T);
      return settle(
        vm,
        T,
        () => readBody(r).then((bytes) => parseMultipart(contentType, bytes, maxMemory)),
        (R, form) => {
          lua.lua_createtable(R, 0, 2);
          lua.lua_createtable(R, 0, form.files.size);
          for (const [field, files] of form.files) {
            setDataField(R, -1, field, () => {
              lua.lua_createtable(R, files.length, 0);
              files.forEach((f, i) => {
                pushObject(R, f, fileMeta);
                lua.lua_rawseti(R, -2, i + 1);
              });
            });
          }
          lua.lua_setfield(R, -2, 'files');
          lua.lua_createtable(R, 0, form.values.size);
          for (const [field, values] of form.values) {
            setDataField(R, -1, field, () => {
              if (values.length === 1) return pushString(R, values[0]);
              lua.lua_createtable(R, values.length, 0);
              values.forEach((v, i) => {
                pushString(R, v);
                lua.lua_rawseti(R, -2, i + 1);
              });
            });
          }
          lua.lua_setfield(R, -2, 'values');
          void proc;
          lua.lua_pushnil(R);
          return 2;
        },
        (R, e) => fail(R, messageOf(e), e instanceof ErrorValue ? e.kind : 'Invalid'),
      );
    },
  });

  const fileMeta = metatable(vm, 'http.MultipartFile', {
    name: (T) => pushOptString(T, fileArg(T).filename),
    size: (T) => (pushNumber(T, fileArg(T).data.length), lua.lua_pushnil(T), 2),
    header: (T) => {
      const f = fileArg(T);
      return pushOptString(T, f.headers.get(canonicalHeaderKey(checkJsString(T, 2))));
    },
    stream: (T) => {
      const f = fileArg(T);
      const s = new BytesStream(f.data);
      if (!streams.adopt(vm.currentProcess(T), s)) return fail(T, 'process ended', 'Internal');
      streams.push(T, s);
      lua.lua_pushnil(T);
      return 2;
    },
  });
  const fileArg = (T: LuaState): MultipartFileObject => {
    const o = argObject(T, 1);
    if (!(o instanceof MultipartFileObject)) return lauxlib.luaL_argerror(T, 1, 'MultipartFile expected');
    return o;
  };

  const sent = (T: LuaState, what: string): number => {
    lua.lua_settop(T, 0);
    pushError(T, vm, new ErrorValue(`cannot ${what} after headers are sent`, 'Invalid', false));
    return 1;
  };
  const ok = (T: LuaState): number => (lua.lua_pushnil(T), 1);

  /** Writes bytes, answering nil or a write error (the client went away). */
  const writeBytes = (T: LuaState, w: HttpResponseWriter, bytes: Uint8Array, flush: boolean): number => {
    w.handled = true;
    return settle(
      vm,
      T,
      () => {
        const r = w.write(bytes);
        if (!flush) return r;
        return r instanceof Promise ? r.then(() => w.flush()) : w.flush();
      },
      (R) => (lua.lua_pushnil(R), 1),
      (R, e) => (pushError(R, vm, new ErrorValue(`write failed: ${messageOf(e)}`, 'Internal', false)), 1),
    );
  };

  const SSE_HEADERS: [string, string][] = [['Content-Type', 'text/event-stream'], ['Cache-Control', 'no-cache'], ['Connection', 'keep-alive']];

  const responseMeta = metatable(vm, 'http.Response', {
    set_status: (T) => {
      const r = resArg(T);
      const code = Math.trunc(lauxlib.luaL_checknumber(T, 2));
      if (r.writer.headersSent) return sent(T, 'set status');
      if (code < 100 || code > 999) return lauxlib.luaL_argerror(T, 2, `invalid status code ${code}`);
      r.writer.handled = true;
      r.writer.writeHeader(code);
      return ok(T);
    },
    set_header: (T) => {
      const r = resArg(T);
      const name = checkJsString(T, 2);
      const value = toJsString(T, 3);
      if (r.writer.headersSent) return sent(T, 'set header');
      r.writer.handled = true;
      r.writer.setHeader(name, value);
      return ok(T);
    },
    set_content_type: (T) => {
      const r = resArg(T);
      const ct = checkJsString(T, 2);
      if (r.writer.headersSent) return sent(T, 'set content type');
      r.writer.setHeader('Content-Type', ct);
      return ok(T);
    },
    write: (T) => {
      const r = resArg(T);
      const bytes = lua.lua_type(T, 2) === lua.LUA_TSTRING || lua.lua_type(T, 2) === lua.LUA_TNUMBER ? (lua.lua_tolstring(T, 2) as Uint8Array) : lauxlib.luaL_checklstring(T, 2);
      return writeBytes(T, r.writer, bytes as Uint8Array, false);
    },
    write_json: (T) => {
      const r = resArg(T);
      lua.lua_settop(T, 2);
      let text: string;
      try {
        text = checkpointed(() => vm.checkpoint(T), () => encodeAt(T, 2));
      } catch (e) {
        if (!(e instanceof JsonError)) throw e;
        lua.lua_settop(T, 0);
        pushError(T, vm, new ErrorValue(`failed to encode JSON: ${e.message}`, 'Invalid', false));
        return 1;
      }
      if (!r.writer.headersSent) r.writer.setHeader('Content-Type', 'application/json');
      return writeBytes(T, r.writer, Buffer.from(text, 'utf8'), false);
    },
    flush: (T) => {
      const r = resArg(T);
      r.writer.handled = true;
      return settle(vm, T, () => r.writer.flush(), (R) => (lua.lua_pushnil(R), 1), (R, e) => (pushError(R, vm, new ErrorValue(`flush failed: ${messageOf(e)}`, 'Internal', false)), 1));
    },
    set_transfer: (T) => {
      const r = resArg(T);
      const mode = checkJsString(T, 2);
      if (mode !== TRANSFER.CHUNKED && mode !== TRANSFER.SSE) return lauxlib.luaL_argerror(T, 2, `invalid transfer mode "${mode}" (chunked or sse)`);
      if (r.writer.headersSent) return sent(T, 'set transfer mode');
      if (mode === TRANSFER.CHUNKED) {
        r.writer.setHeader('Transfer-Encoding', 'chunked');
        r.writer.setHeader('Cache-Control', 'no-cache');
      } else {
        for (const [k, v] of SSE_HEADERS) r.writer.setHeader(k, v);
        r.sse = true;
      }
      return ok(T);
    },
    write_event: (T) => {
      const r = resArg(T);
      lauxlib.luaL_checktype(T, 2, lua.LUA_TTABLE);
      lua.lua_getfield(T, 2, 'name');
      if (lua.lua_type(T, -1) !== lua.LUA_TSTRING) return lauxlib.luaL_argerror(T, 2, 'event name is required');
      const name = toJsString(T, -1);
      lua.lua_getfield(T, 2, 'data');
      if (lua.lua_isnil(T, -1)) return lauxlib.luaL_argerror(T, 2, 'event data is required');
      let data: string;
      try {
        data = encodeAt(T, -1);
      } catch (e) {
        if (!(e instanceof JsonError)) throw e;
        lua.lua_settop(T, 0);
        pushError(T, vm, new ErrorValue(`failed to encode event data: ${e.message}`, 'Invalid', false));
        return 1;
      }
      if (!r.sse) {
        if (r.writer.headersSent && r.writer.header('Content-Type') !== 'text/event-stream') return sent(T, 'switch to SSE');
        if (!r.writer.headersSent) for (const [k, v] of SSE_HEADERS) r.writer.setHeader(k, v);
        r.sse = true;
      }
      return writeBytes(T, r.writer, Buffer.from(`event: ${name}\ndata: ${data}\n\n`, 'utf8'), true);
    },
  });

  const noContext = (T: LuaState): number => fail(T, 'no HTTP request context found', 'Internal');

  const mod = functionTable(vm, {
      request: (T) => {
        const x = exchangeOf(T);
        if (x === null) return noContext(T);
        let timeoutMs = DEFAULT_READ_TIMEOUT_MS;
        let maxBody = x.request.maxBodyBytes;
        if (lua.lua_type(T, 1) === lua.LUA_TTABLE) {
          lua.lua_getfield(T, 1, 'timeout');
          if (lua.lua_type(T, -1) === lua.LUA_TNUMBER && lua.lua_tonumber(T, -1) > 0) timeoutMs = lua.lua_tonumber(T, -1);
          lua.lua_getfield(T, 1, 'max_body');
          if (lua.lua_type(T, -1) === lua.LUA_TNUMBER && lua.lua_tonumber(T, -1) > 0) maxBody = lua.lua_tonumber(T, -1);
        }
        pushObject(T, new RequestObject(x.request, timeoutMs, maxBody), requestMeta);
        lua.lua_pushnil(T);
        return 2;
      },
      response: (T) => {
        const x = exchangeOf(T);
        if (x === null) return noContext(T);
        pushObject(T, new ResponseObject(x.response), responseMeta);
        lua.lua_pushnil(T);
        return 2;
      },
    });
  nestTable(vm, mod, 'STATUS', functionTable(vm, {}, STATUS), 'http.STATUS');
  nestTable(vm, mod, 'METHOD', functionTable(vm, {}, METHOD), 'http.METHOD');
  nestTable(vm, mod, 'CONTENT', functionTable(vm, {}, CONTENT), 'http.CONTENT');
  nestTable(vm, mod, 'TRANSFER', functionTable(vm, {}, TRANSFER), 'http.TRANSFER');
  nestTable(vm, mod, 'ERROR', functionTable(vm, {}, ERROR), 'http.ERROR');
  vm.defineModule('http', mod);
}

export const httpModule = luaModule({
  name: 'http',
  description: 'The request and response of an HTTP endpoint handler',
  classes: ['network'],
  needs: [streamModule],
  install: (vm, ctx) => installHttp(vm, ctx.api(streamModule), ctx.services.resources),
});
