/**
 * The `stream` module through real Lua processes: streams made from real Node Readables (a PassThrough the
 * test feeds, a real TCP socket on loopback) by a small test module, read by Lua code on the real scheduler.
 */
import { PassThrough, Readable } from 'stream';
import { createServer, connect, type AddressInfo, type Socket } from 'net';
import { LuaVM } from '../../src/engine/vm';
import { MODULES } from '../../src/modules';
import { installModules, luaModule } from '../../src/modules/module';
import { streamModule } from '../../src/modules/stream';
import { ReadableByteStream, BytesStream } from '../../src/lib/byte-stream';
import { lauxlib, toJsString } from '../../src/engine/lua';
import { spawn } from '../helpers/lua';
import { functionTable } from '../../src/engine/binding';
import { valueToPlain } from '../../src/engine/plain';

/** Readables the Lua side can open by name, and what to do once Lua has opened one. */
const sources = new Map<string, Readable>();
const onOpen = new Map<string, () => void>();

const sourceModule = luaModule({
  name: 'source',
  description: 'test streams',
  classes: ['io'],
  needs: [streamModule],
  install(vm, ctx) {
    const streams = ctx.api(streamModule);
    vm.defineModule(
      'source',
      functionTable(vm, {
        open: (T) => {
          const name = toJsString(T, 1);
          const readable = sources.get(name) ?? lauxlib.luaL_error(T, `no source ${name}`);
          const stream = new ReadableByteStream(readable);
          streams.adopt(vm.currentProcess(T), stream);
          streams.push(T, stream);
          onOpen.get(name)?.();
          return 1;
        },
        bytes: (T) => {
          const stream = new BytesStream(Buffer.from(toJsString(T, 1)));
          streams.adopt(vm.currentProcess(T), stream);
          streams.push(T, stream);
          return 1;
        },
      }),
    );
  },
});

function makeVM(): LuaVM {
  const vm = new LuaVM();
  installModules(vm, [...MODULES, sourceModule], {});
  return vm;
}

async function runLua(body: string, vm = makeVM()): Promise<unknown> {
  const r = await spawn(vm, `local source = require("source")\nlocal time = require("time")\nlocal function main()\n${body}\nend\nreturn { main = main }`, 'test:main', [], ['source', 'stream', 'time']).exit;
  if (r.error) throw new Error(r.error.stack ?? r.error.message);
  return valueToPlain(r.value);
}

const E = `local function E(v, err) if err == nil then return { v = v } end return { v = v, kind = err:kind(), message = err:message(), retryable = err:retryable() } end`;

afterEach(() => {
  sources.clear();
  onOpen.clear();
});

describe('stream objects', () => {
  test('read(n) returns up to n bytes, nil, nil at the end; read() reads a default chunk; binary safe', async () => {
    const feed = new PassThrough();
    sources.set('a', feed);
    const big = Buffer.alloc(100_000, 0x41);
    feed.write(Buffer.from([0, 1, 2, 255]));
    feed.write('hello');
    feed.end(big);
    const r = (await runLua(`
      local s = source.open("a")
      local out = {}
      local first = s:read(2)
      out.first = { string.byte(first, 1, -1) }
      local rest = {}
      while true do
        local chunk, err = s:read()
        if err then error(err) end
        if chunk == nil then break end
        rest[#rest + 1] = #chunk
      end
      out.sizes = rest
      local a, b = s:read(10)
      out.eof = { a == nil, b == nil }
      out.close = { s:close() }
      return out`)) as { first: number[]; sizes: number[]; eof: boolean[]; close: unknown[] };
    expect(r.first).toEqual([0, 1]);
    expect(r.sizes.every((n) => n <= 32 * 1024)).toBe(true);
    expect(r.sizes.reduce((a, b) => a + b, 0)).toBe(2 + 5 + 100_000);
    expect(r.eof).toEqual([true, true]);
    expect(r.close).toEqual([true]);
  });

  test('a read waits only its coroutine: the process keeps working until data comes', async () => {
    const feed = new PassThrough();
    sources.set('slow', feed);
    onOpen.set('slow', () => setTimeout(() => feed.end('late data'), 150));
    const r = (await runLua(`
      local s = source.open("slow")
      local ticks = 0
      local done = false
      coroutine.spawn(function()
        while not done do ticks = ticks + 1; time.sleep("10ms") end
      end)
      local data = s:read(100)
      done = true
      return { data = data, ticks = ticks }`)) as { data: string; ticks: number };
    expect(r.data).toBe('late data');
    expect(r.ticks).toBeGreaterThan(3);
  });

  test('closed streams: close twice, read, stat and scanner after close fail as in Wippy ("stream not found")', async () => {
    const r = (await runLua(`${E}
      local s = source.bytes("abc")
      local st = s:stat()
      local first = { s:close() }
      return { st = st, first = first, again = E(s:close()), read = E(s:read(1)), stat = E(s:stat()), write = E(s:write("x")),
        seek = E(s:seek("set", 0)), flush = E(s:flush()), scanner = E(s:scanner()) }`)) as Record<string, Record<string, unknown>>;
    expect(r.st).toEqual({ size: 3, position: 0, readable: true, writable: false, seekable: true });
    expect(r.first).toEqual([true]);
    expect(r.again).toEqual({ v: false, kind: 'Internal', message: 'stream not found', retryable: false });
    expect(r.read).toMatchObject({ kind: 'Internal', message: 'stream not found' });
    expect(r.stat).toMatchObject({ message: 'stream not found' });
    expect(r.write).toMatchObject({ v: 0, message: 'stream not found' });
    expect(r.seek).toMatchObject({ v: -1, message: 'stream not found' });
    expect(r.flush).toMatchObject({ v: false, message: 'stream not found' });
    expect(r.scanner).toMatchObject({ message: 'stream not found' });
  });

  test('what a stream cannot do answers its Go sentinel; seek on a seekable one; bad arguments raise', async () => {
    const feed = new PassThrough();
    sources.set('ro', feed);
    feed.end('x');
    const r = (await runLua(`${E}
      local s = source.open("ro")
      local b = source.bytes("0123456789")
      local out = { write = E(s:write("x")), seek = E(s:seek("cur", 1)), flush = E(s:flush()), st = s:stat() }
      out.b_seek = { b:seek("set", 4) }
      out.b_read = b:read(3)
      out.b_end = { b:seek("end", -2) }
      out.b_tail = b:read(10)
      out.bad_whence = select(2, pcall(function() return b:seek("middle", 0) end))
      out.bad_split = select(2, pcall(function() return b:scanner("sentences") end))
      out.not_stream = select(2, pcall(function() return s.read({}, 1) end))
      return out`)) as Record<string, unknown>;
    expect(r.write).toMatchObject({ v: 0, kind: 'Internal', message: 'stream is not writable' });
    expect(r.seek).toMatchObject({ v: -1, message: 'stream is not seekable' });
    expect(r.flush).toEqual({ v: true });
    expect(r.st).toEqual({ size: -1, position: -1, readable: true, writable: false, seekable: false });
    expect(r.b_seek).toEqual([4]);
    expect(r.b_read).toBe('456');
    expect(r.b_end).toEqual([8]);
    expect(r.b_tail).toBe('89');
    expect(r.bad_whence).toMatch(/invalid whence: must be 'set', 'cur', or 'end'/);
    expect(r.bad_split).toMatch(/invalid split type/);
    expect(r.not_stream).toMatch(/Stream expected/);
  });

  test('a source error reaches Lua as a non-retryable Internal error', async () => {
    const feed = new PassThrough();
    sources.set('bad', feed);
    feed.write('ok');
    onOpen.set('bad', () => setTimeout(() => feed.destroy(new Error('connection reset by peer')), 50));
    const r = (await runLua(`${E}
      local s = source.open("bad")
      return { s:read(10), E(s:read(10)) }`)) as unknown[];
    expect(r[0]).toBe('ok');
    expect(r[1]).toEqual({ kind: 'Internal', message: 'connection reset by peer', retryable: false });
  });

  test('the stream is closed when its process ends, even while a read waits', async () => {
    const feed = new PassThrough();
    sources.set('held', feed);
    const vm = makeVM();
    const run = spawn(vm, `local source = require("source")
      local function main() local s = source.open("held"); coroutine.spawn(function() s:read(10) end); error("boom") end
      return { main = main }`, 'test:held', [], ['source', 'stream']);
    const r = await run.exit;
    expect(r.error?.message).toMatch(/boom/);
    expect(feed.destroyed).toBe(true);
  });

  test('backpressure: a peer sending 1 GB is held back by TCP while Lua reads slowly, and closing ends it', async () => {
    const GB = 1024 * 1024 * 1024;
    let written = 0;
    let peerClosed = false;
    const server = createServer((sock) => {
      const chunk = Buffer.alloc(64 * 1024, 0x5a);
      const pump = (): void => {
        while (written < GB) {
          written += chunk.length;
          if (!sock.write(chunk)) return void sock.once('drain', pump);
        }
        sock.end();
      };
      sock.on('error', () => {});
      sock.on('close', () => (peerClosed = true));
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const client: Socket = connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    sources.set('tcp', client);
    try {
      const r = (await runLua(`
        local s = source.open("tcp")
        local got = 0
        for i = 1, 20 do
          local c = s:read(4096)
          got = got + #c
        end
        time.sleep("300ms")
        local more = s:read(4096)
        s:close()
        return { got = got + #more }`)) as { got: number };
      expect(r.got).toBe(21 * 4096);
      // Everything the client took in is its Readable buffer plus socket buffers: far below what was offered.
      expect(client.bytesRead).toBeLessThan(32 * 1024 * 1024);
      expect(written).toBeLessThan(64 * 1024 * 1024);
      await new Promise((r) => setTimeout(r, 100));
      expect(peerClosed).toBe(true);
    } finally {
      client.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('scanner', () => {
  const scan = (text: string, split: string, feedChunks = false): Promise<unknown> => {
    const feed = new PassThrough();
    sources.set('scan', feed);
    if (feedChunks) {
      // One byte at a time, so tokens and UTF-8 sequences straddle reads.
      const bytes = Buffer.from(text, 'latin1');
      let i = 0;
      const tick = (): void => {
        if (i < bytes.length) feed.write(bytes.subarray(i, ++i));
        if (i < bytes.length) setImmediate(tick);
        else feed.end();
      };
      tick();
    } else feed.end(Buffer.from(text, 'latin1'));
    return runLua(`
      local sc = source.open("scan"):scanner(${split === '' ? '' : `"${split}"`})
      local out = {}
      while sc:scan() do out[#out + 1] = sc:text() end
      return { tokens = out, err = sc:err() or "none", after = sc:text() }`);
  };

  test.each([false, true])('lines: CRLF and LF, empty lines, a last line without newline (byte-fed: %s)', async (chunked) => {
    expect(await scan('line one\r\nline two\n\nlast', '', chunked)).toEqual({ tokens: ['line one', 'line two', '', 'last'], err: 'none', after: '' });
    expect(await scan('a\n', 'lines', chunked)).toEqual({ tokens: ['a'], err: 'none', after: '' });
  });

  test.each([false, true])('words, bytes and runes (UTF-8 straddling reads, invalid bytes as U+FFFD) (byte-fed: %s)', async (chunked) => {
    expect(await scan(Buffer.from('  hello \t world\u00a0\u3000foo ').toString('latin1'), 'words', chunked)).toMatchObject({ tokens: ['hello', 'world', 'foo'] });
    expect(await scan('ab', 'bytes', chunked)).toMatchObject({ tokens: ['a', 'b'] });
    const utf8 = Buffer.concat([Buffer.from('aé€'), Buffer.from([0xff]), Buffer.from('😀')]).toString('latin1');
    const r = (await scan(utf8, 'runes', chunked)) as { tokens: string[] };
    expect(r.tokens).toEqual(['a', 'é', '€', '\ufffd', '😀']);
  });

  test('a token over 64 KiB stops the scanner with Go\'s error', async () => {
    const r = (await scan(`short\n${'x'.repeat(70_000)}\nnext\n`, 'lines')) as { tokens: string[]; err: string };
    expect(r.tokens).toEqual(['short']);
    expect(r.err).toBe('bufio.Scanner: token too long');
  });
});
