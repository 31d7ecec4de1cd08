/**
 * The `websocket` client module (spec.md beside this file), on the `ws` package. A connection's messages
 * flow into one wisp channel; when the channel's buffer is full the socket is paused, so a flooding server is
 * held back by TCP. The channel closes when the connection ends. A connection belongs to the process that
 * made it and is dropped when that process ends.
 */
import WebSocket, { type ClientOptions, type PerMessageDeflateOptions } from 'ws';
import { lua, lauxlib, checkJsString, toJsString, type LuaState } from '../../engine/lua';
import { argObject, popSlot, pushObject, pushSlot, type Slot } from '../../engine/slots';
import { captureFrames, pushError } from '../errors';
import { ErrorValue, type ErrorKind } from '../../kernel/value';
import { settle } from '../settle';
import { messageOf } from '../../lib/message';
import { durationFrom } from '../../lib/duration';
import { channelModule, type ChannelApi } from '../channel';
import type { Channel } from '../../engine/channel';
import type { LuaVM } from '../../engine/vm';
import type { LuaProcess, Resource } from '../../engine/process';
import { luaModule } from '../module';
import { denied, securityGuard, type Guard } from '../guard';
import { functionTable, metatable, nestTable } from '../../engine/binding';

/** Wippy's default read limit (service/websocket DefaultReadLimit). */
const DEFAULT_READ_LIMIT = 16 * 1024 * 1024;
const MAX_READ_LIMIT = 128 * 1024 * 1024;
const DEFAULT_CAPACITY = 32;
const MAX_CAPACITY = 10_000;
/** Connections open (or dialling) at once, per process and in the runtime; one more is an error. */
export const MAX_PER_PROCESS = 64;
export const MAX_CONNECTIONS = 1024;
/** How long close() waits for the server's close frame before cutting the connection (coder/websocket: 5 s). */
const CLOSE_WAIT_MS = 5_000;

const CLOSE_CODES: Record<string, number> = {
  NORMAL: 1000, GOING_AWAY: 1001, PROTOCOL_ERROR: 1002, UNSUPPORTED_DATA: 1003, RESERVED: 1004, NO_STATUS: 1005,
  ABNORMAL_CLOSURE: 1006, INVALID_PAYLOAD: 1007, POLICY_VIOLATION: 1008, MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010, INTERNAL_ERROR: 1011, SERVICE_RESTART: 1012, TRY_AGAIN_LATER: 1013, BAD_GATEWAY: 1014,
  TLS_HANDSHAKE: 1015,
};

interface ConnectOptions {
  headers: Record<string, string>;
  protocols: string[];
  dialMs: number;
  readMs: number;
  writeMs: number;
  compression: 0 | 1 | 2;
  threshold: number;
  readLimit: number;
  capacity: number;
}

/** One connection as its process holds it. */
class Connection implements Resource {
  /** Messages taken from the socket that the channel had no room for yet. */
  private readonly pending: Slot[] = [];
  private ended = false;
  private released = false;
  private feedQueued = false;
  private readTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: WebSocket,
    readonly channel: Channel,
    readonly owner: LuaProcess,
    private readonly options: ConnectOptions,
    private readonly message: (data: Buffer, binary: boolean) => Slot,
    /** Told once, when the connection has ended. */
    private readonly onEnd: () => void,
  ) {
    channel.onTake = () => {
      if (this.feedQueued) return;
      this.feedQueued = true;
      queueMicrotask(() => {
        this.feedQueued = false;
        this.feed();
      });
    };
    socket.on('message', (data: Buffer, binary: boolean) => {
      this.armReadTimer();
      if (this.released) return;
      this.pending.push(this.message(data, binary));
      this.feed();
    });
    socket.on('close', () => this.end());
    socket.on('error', () => this.end());
    this.armReadTimer();
  }

  /** Go's write timeout for one send (0: none). */
  get writeMs(): number {
    return this.options.writeMs;
  }

  get open(): boolean {
    return !this.ended && this.socket.readyState === WebSocket.OPEN;
  }

  /** Go's read timeout: no message for that long ends the connection. */
  private armReadTimer(): void {
    if (this.options.readMs <= 0 || this.ended) return;
    if (this.readTimer !== null) clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => this.socket.terminate(), this.options.readMs);
  }

  /** Moves pending messages into the channel while it has room; pauses the socket while it has none. */
  private feed(): void {
    while (this.pending.length > 0 && !this.channel.closed) {
      if (!this.channel.offer(this.pending[0])) break;
      this.pending.shift();
    }
    if (this.channel.closed) this.pending.length = 0;
    if (this.pending.length === 0) {
      if (this.ended) this.channel.close();
      else if (this.socket.isPaused) this.socket.resume();
    } else if (!this.socket.isPaused && !this.ended) this.socket.pause();
  }

  /** The connection ended (closed by either side, failed, timed out): the channel closes once drained. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.readTimer !== null) clearTimeout(this.readTimer);
    this.owner.disown(this);
    this.onEnd();
    this.feed();
  }

  /**
   * Lua let go of the messages (close()): the channel closes now, and what still comes is read and dropped,
   * so the close handshake can complete.
   */
  release(): void {
    this.released = true;
    this.pending.length = 0;
    this.channel.close();
    if (this.socket.isPaused) this.socket.resume();
  }

  /** The process ended (or close() is done): the connection is cut if still open. */
  dispose(): void {
    this.release();
    if (!this.ended) {
      this.socket.terminate();
      this.end();
    }
  }
}

class ClientObject {
  constructor(readonly conn: Connection) {}
}

let openConnections = 0;
const perProcess = new WeakMap<LuaProcess, number>();

function installWebsocket(vm: LuaVM, channels: ChannelApi, guard: Guard): void {
  const L = vm.L;
  const [typeKey, dataKey, textValue, binaryValue] = [vm.key('type'), vm.key('data'), vm.key('text'), vm.key('binary')];
  /** A `{type, data}` message table, made outside any process (it waits in a channel). */
  const messageSlot = (data: Buffer, binary: boolean): Slot => {
    lua.lua_createtable(L, 0, 2);
    pushSlot(L, typeKey);
    pushSlot(L, binary ? binaryValue : textValue);
    lua.lua_rawset(L, -3);
    pushSlot(L, dataKey);
    lua.lua_pushstring(L, new Uint8Array(data));
    lua.lua_rawset(L, -3);
    return popSlot(L);
  };

  const failure = (T: LuaState, message: string, kind: ErrorKind, retryable: boolean): number => {
    lua.lua_pushnil(T);
    pushError(T, vm, new ErrorValue(message, kind, retryable, null, null, { frames: captureFrames(T) }));
    return 2;
  };

  /**
   * A duration option: a float number of milliseconds or a Go duration string. An integer is ignored, as in
   * Wippy, whose parseDuration has no case for go-lua's integers (so `dial_timeout = 3` sets no timeout);
   * anything else, or a bad string, is 0 too.
   */
  const msOption = (T: LuaState, idx: number, name: string): number => {
    lua.lua_getfield(T, idx, name);
    try {
      if (lua.lua_type(T, -1) === lua.LUA_TNUMBER) return lua.lua_isinteger(T, -1) ? 0 : Math.max(0, Math.trunc(lua.lua_tonumber(T, -1)));
      if (lua.lua_type(T, -1) === lua.LUA_TSTRING) return Math.max(0, durationFrom(toJsString(T, -1)) / 1e6);
      return 0;
    } catch {
      return 0;
    } finally {
      lua.lua_settop(T, -2);
    }
  };

  /** An integer option within [min, max]; out of range or not a number: `fallback`, as Wippy's safeInt. */
  const intOption = (T: LuaState, idx: number, name: string, min: number, max: number, fallback: number): number => {
    lua.lua_getfield(T, idx, name);
    const n = lua.lua_type(T, -1) === lua.LUA_TNUMBER ? lua.lua_tonumber(T, -1) : NaN;
    lua.lua_settop(T, -2);
    return n >= min && n <= max ? Math.trunc(n) : fallback;
  };

  const parseOptions = (T: LuaState): ConnectOptions => {
    const o: ConnectOptions = { headers: {}, protocols: [], dialMs: 0, readMs: 0, writeMs: 0, compression: 0, threshold: 0, readLimit: 0, capacity: DEFAULT_CAPACITY };
    if (lua.lua_isnoneornil(T, 2)) return o;
    lauxlib.luaL_checktype(T, 2, lua.LUA_TTABLE);
    lua.lua_getfield(T, 2, 'headers');
    if (lua.lua_type(T, -1) === lua.LUA_TTABLE) {
      lua.lua_pushnil(T);
      while (lua.lua_next(T, -2)) {
        if (lua.lua_type(T, -2) === lua.LUA_TSTRING && lua.lua_type(T, -1) === lua.LUA_TSTRING) o.headers[toJsString(T, -2)] = toJsString(T, -1);
        lua.lua_settop(T, -2);
      }
    }
    lua.lua_settop(T, -2);
    lua.lua_getfield(T, 2, 'protocols');
    if (lua.lua_type(T, -1) === lua.LUA_TTABLE) {
      lua.lua_pushnil(T);
      while (lua.lua_next(T, -2)) {
        if (lua.lua_type(T, -1) === lua.LUA_TSTRING) o.protocols.push(toJsString(T, -1));
        lua.lua_settop(T, -2);
      }
    }
    lua.lua_settop(T, -2);
    o.dialMs = msOption(T, 2, 'dial_timeout');
    o.readMs = msOption(T, 2, 'read_timeout');
    o.writeMs = msOption(T, 2, 'write_timeout');
    lua.lua_getfield(T, 2, 'compression');
    if (lua.lua_type(T, -1) === lua.LUA_TNUMBER) {
      const n = lua.lua_tonumber(T, -1);
      if (n >= 0 && n <= 2) o.compression = Math.trunc(n) as 0 | 1 | 2;
    } else if (lua.lua_type(T, -1) === lua.LUA_TSTRING) {
      const mode = toJsString(T, -1);
      o.compression = mode === 'context_takeover' ? 1 : mode === 'no_context_takeover' ? 2 : 0;
    }
    lua.lua_settop(T, -2);
    o.threshold = intOption(T, 2, 'compression_threshold', 0, 100 * 1024 * 1024, 0);
    o.readLimit = intOption(T, 2, 'read_limit', 0, MAX_READ_LIMIT, 0);
    o.capacity = intOption(T, 2, 'channel_capacity', 1, MAX_CAPACITY, DEFAULT_CAPACITY);
    return o;
  };

  /**
   * Dials; resolves with what `opened` makes of the open socket (at once, in the 'open' event, so no message
   * that comes in the same packet is missed) or rejects with the reason.
   */
  const dial = <C>(url: string, o: ConnectOptions, opened: (socket: WebSocket) => C): Promise<C> =>
    new Promise((resolve, reject) => {
      const deflate: PerMessageDeflateOptions | false =
        o.compression === 0 ? false : { clientNoContextTakeover: o.compression === 2, serverNoContextTakeover: o.compression === 2, threshold: o.threshold > 0 ? o.threshold : 0 };
      const options: ClientOptions = {
        headers: o.headers,
        perMessageDeflate: deflate,
        maxPayload: o.readLimit > 0 ? o.readLimit : DEFAULT_READ_LIMIT,
        handshakeTimeout: o.dialMs > 0 ? o.dialMs : undefined,
        followRedirects: false,
      };
      let socket: WebSocket;
      try {
        socket = new WebSocket(url, o.protocols, options);
      } catch (e) {
        return reject(e);
      }
      const fail = (e: unknown): void => {
        socket.removeAllListeners('open');
        socket.on('error', () => {});
        reject(e);
      };
      socket.once('open', () => {
        socket.removeListener('error', fail);
        resolve(opened(socket));
      });
      socket.once('error', fail);
      socket.once('unexpected-response', (_req, res) => {
        fail(new Error(`expected handshake response status code 101 but got ${res.statusCode}`));
        res.resume();
        socket.terminate();
      });
    });

  const clientArg = (T: LuaState): Connection => {
    const c = argObject(T, 1);
    return c instanceof ClientObject ? c.conn : lauxlib.luaL_argerror(T, 1, 'websocket.Client expected');
  };

  const closedError = (T: LuaState): number => failure(T, 'websocket connection closed', 'Unavailable', false);

  const clientMeta = metatable(vm, 'websocket.Client', {
    send: (T) => {
      const conn = clientArg(T);
      lauxlib.luaL_checkstring(T, 2);
      const data = new Uint8Array(lua.lua_tolstring(T, 2) as Uint8Array);
      const binary = lua.lua_type(T, 3) === lua.LUA_TNUMBER && lua.lua_tonumber(T, 3) === 2;
      if (!conn.open) return closedError(T);
      return settle(
        vm,
        T,
        () =>
          new Promise<void>((resolve, reject) => {
            const timer = conn.writeMs > 0 ? setTimeout(() => reject(new Error('write timeout')), conn.writeMs) : null;
            conn.socket.send(data, { binary }, (e) => {
              if (timer !== null) clearTimeout(timer);
              if (e) reject(e);
              else resolve();
            });
          }),
        () => 0,
        (R, e) => failure(R, `failed to send message: ${messageOf(e)}`, 'Internal', false),
      );
    },
    channel: (T) => {
      pushSlot(T, clientArg(T).channel.identity as Slot);
      return 1;
    },
    receive: (T) => {
      pushSlot(T, clientArg(T).channel.identity as Slot);
      return 1;
    },
    ping: (T) => {
      const conn = clientArg(T);
      if (!conn.open) return closedError(T);
      return settle(
        vm,
        T,
        () =>
          new Promise<void>((resolve, reject) => {
            // Go's Ping waits for the pong (or the connection's end).
            const pong = (): void => (conn.socket.off('close', gone), resolve());
            const gone = (): void => (conn.socket.off('pong', pong), reject(new Error('connection closed')));
            conn.socket.once('pong', pong);
            conn.socket.once('close', gone);
            conn.socket.ping();
          }),
        () => 0,
        (R, e) => failure(R, `failed to ping: ${messageOf(e)}`, 'Internal', true),
      );
    },
    close: (T) => {
      const conn = clientArg(T);
      let code = 1000;
      if (lua.lua_type(T, 2) === lua.LUA_TNUMBER) {
        const n = lua.lua_tonumber(T, 2);
        if (n >= 1000 && n <= 4999) code = Math.trunc(n);
      }
      const reason = lua.lua_isnoneornil(T, 3) ? '' : checkJsString(T, 3);
      if (conn.socket.readyState === WebSocket.CLOSED) {
        conn.dispose();
        return 0;
      }
      return settle(
        vm,
        T,
        () =>
          new Promise<void>((resolve, reject) => {
            conn.release();
            const cut = setTimeout(() => conn.socket.terminate(), CLOSE_WAIT_MS);
            conn.socket.once('close', () => {
              clearTimeout(cut);
              resolve();
            });
            try {
              conn.socket.close(code, reason);
            } catch (e) {
              clearTimeout(cut);
              conn.socket.terminate();
              reject(e);
            }
          }).finally(() => conn.dispose()),
        () => 0,
        (R, e) => failure(R, messageOf(e), 'Internal', false),
      );
    },
  });

  const connect = (T: LuaState): number => {
    const url = checkJsString(T, 1);
    if (url === '') return lauxlib.luaL_argerror(T, 1, 'URL required');
    if (!guard(T, 'websocket.connect', '')) return denied(T, vm, 'websocket connections not allowed');
    if (!guard(T, 'websocket.connect.url', url)) return denied(T, vm, `not allowed: ${url}`);
    const options = parseOptions(T);
    const proc = vm.currentProcess(T);
    const mine = perProcess.get(proc) ?? 0;
    if (mine >= MAX_PER_PROCESS || openConnections >= MAX_CONNECTIONS) {
      return failure(T, `too many websocket connections (at most ${MAX_PER_PROCESS} per process, ${MAX_CONNECTIONS} in all)`, 'Unavailable', false);
    }
    perProcess.set(proc, mine + 1);
    openConnections++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      openConnections--;
      perProcess.set(proc, (perProcess.get(proc) ?? 1) - 1);
    };
    let dialing: WebSocket | null = null;
    const abandon: Resource = { dispose: () => dialing?.terminate() };
    proc.own(abandon);
    return settle(
      vm,
      T,
      async () => {
        try {
          return await dial(url, options, (socket) => {
            dialing = socket;
            const conn = new Connection(socket, channels.create(options.capacity), proc, options, messageSlot, release);
            if (!proc.alive) conn.dispose();
            else proc.own(conn);
            return conn;
          });
        } catch (e) {
          release();
          throw e;
        } finally {
          proc.disown(abandon);
        }
      },
      (R, conn) => {
        pushObject(R, new ClientObject(conn), clientMeta);
        return 1;
      },
      (R, e) => failure(R, `failed to dial websocket: ${messageOf(e)}`, 'Internal', true),
    );
  };

  const compression = functionTable(vm, {}, { DISABLED: 0, CONTEXT_TAKEOVER: 1, NO_CONTEXT: 2 });
  const closeCodes = functionTable(vm, {}, CLOSE_CODES);
  const table = functionTable(vm,
    { connect },
    { TYPE_TEXT: 'text', TYPE_BINARY: 'binary', TYPE_PING: 'ping', TYPE_PONG: 'pong', TYPE_CLOSE: 'close', TEXT: 1, BINARY: 2 },
  );
  nestTable(vm, table, 'COMPRESSION', compression, 'websocket.COMPRESSION');
  nestTable(vm, table, 'CLOSE_CODES', closeCodes, 'websocket.CLOSE_CODES');
  vm.defineModule('websocket', table);
}

export const websocketModule = luaModule({
  name: 'websocket',
  description: 'WebSocket client connections',
  classes: ['network', 'io', 'nondeterministic'],
  needs: [channelModule],
  install: (vm, ctx) => installWebsocket(vm, ctx.api(channelModule), securityGuard(vm, ctx.services)),
});
