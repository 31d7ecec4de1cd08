/**
 * Thread 1's side of handing HTTP handlers to the node's other threads (spec.md "Threads"). Thread 1 owns the
 * socket, parses, routes and runs the middleware; for each endpoint call whose handler costs more than a
 * handoff (handoff-policy.ts) it picks the thread with the fewest load (itself included, its own handlers
 * counting double: it does every request's HTTP work), and a worker's handler gets the request as a message,
 * pulls the body a chunk at a time (thread 1's body limit applies), and sends the response back in chunks that
 * thread 1 writes through the request's own ResponseWriter (so compression and relays act as on one thread),
 * acknowledging each once the client took it. What thread 1 holds for a request is bounded: one body chunk,
 * and the response window of handoff-wire.ts.
 */
import type { MessagePort } from 'worker_threads';
import { Outbox, PULL_MAX, headerList, movable, type ToMain, type ToWorker } from './handoff-wire';
import { portableSecurity, type PortableSecurity } from '../security/portable';
import { HandoffPolicy, type EndpointCost } from './handoff-policy';
import { closeCopy } from './shared-socket';
import { SetMap } from '../../util/set-map';
import type { Exchange } from './exchange';
import type { ByteStream } from '../../lib/byte-stream';
import type { ServiceContext, ServiceThreads } from '../service';

interface RemoteCall {
  readonly id: number;
  readonly thread: number;
  readonly server: string;
  /** The endpoint's cost, as the policy knows it. */
  readonly endpoint: EndpointCost;
  readonly x: Exchange;
  /** Runs the handler on thread 1 instead (the worker refused it). */
  readonly local: () => Promise<void>;
  body: ByteStream | null;
  /** Response writes not yet taken by the client; `done` waits for them. */
  writing: Promise<void>;
  settle(): void;
}

const hubs = new WeakMap<ServiceThreads, ThreadHub>();
/** How long a stopping server waits for the workers to close their copies of its socket. */
const WITHDRAW_MS = 2000;

/** Thread 1's end of the services ports: which worker serves which http.service, and the requests handed over. */
class ThreadHub {
  /** The servers each worker takes handlers for. */
  private readonly ready = new Map<number, Set<string>>();
  /** Handlers in flight per thread (1 included). */
  private readonly busy = new Map<number, number>([[1, 0]]);
  private readonly calls = new Map<number, RemoteCall>();
  private readonly outboxes = new Map<number, Outbox<ToWorker>>();
  private readonly policy = new HandoffPolicy();
  /** Per server listening here: a copy of its socket for a worker (shared-socket.ts). */
  private readonly sockets = new Map<string, () => number | null>();
  /** Per server not listening yet: the threads that asked for its socket. */
  private readonly asked = new SetMap<string, number>();
  /** Per thread: the copies it was sent and has not yet listened on (closed here if it ends first). */
  private readonly sent = new SetMap<number, number>();
  /** Per server: the threads accepting on a copy of its socket. */
  private readonly listening = new SetMap<string, number>();
  /** Per server stopping here: the threads still to close their copy, and what to call once none is left. */
  private readonly dropping = new Map<string, { threads: Set<number>; done(): void }>();
  private next = 1;
  private turn = 0;

  constructor(ports: ReadonlyMap<number, MessagePort>) {
    for (const [thread, port] of ports) {
      this.ready.set(thread, new Set());
      this.busy.set(thread, 0);
      this.outboxes.set(thread, new Outbox(port));
      port.on('message', (batch: ToMain[]) => {
        for (const m of batch) this.receive(thread, m);
      });
      // The port closes when its thread ends, however it ends.
      port.on('close', () => this.lost(thread));
      port.unref();
    }
  }

  /**
   * Runs `func` for `x` on the least busy thread that can, when a handoff pays: `local` here (telling what
   * the handler cost), else handed over.
   */
  call(ctx: ServiceContext, server: string, func: string, endpoint: EndpointCost, x: Exchange, local: (cost?: (ms: number) => void) => Promise<void>): Promise<void> {
    const here = (): Promise<void> => local(this.policy.measures(endpoint) ? (ms) => this.policy.ran(endpoint, ms, true) : undefined);
    const security = this.handable(ctx, x);
    if (security === undefined) return this.counted(1, here);
    const thread = this.policy.pays(endpoint) ? this.pick(server) : 1;
    this.policy.served(thread !== 1);
    if (thread === 1) return this.counted(1, here);
    const id = this.next++;
    const message: ToWorker = {
      t: 'call',
      id,
      server,
      func,
      request: {
        method: x.request.method,
        path: x.request.path,
        rawQuery: x.request.rawQuery,
        host: x.request.host,
        remoteAddr: x.request.remoteAddr,
        headers: headerList(x.request.headers),
        contentLength: x.request.contentLength,
        params: x.request.params === null ? null : [...x.request.params],
        maxBodyBytes: x.request.maxBodyBytes,
      },
      headers: headerList(x.response.headers),
      security: security ?? null,
    };
    return this.counted(thread, () => new Promise<void>((resolve) => {
      const call: RemoteCall = { id, thread, server, endpoint, x, local: here, body: null, writing: Promise.resolve(), settle: resolve };
      this.calls.set(id, call);
      const stopWatching = x.whenGone(() => this.post(call, { t: 'gone', id }));
      call.settle = () => {
        stopWatching();
        this.calls.delete(id);
        resolve();
      };
      this.post(call, message);
    }));
  }

  /** Ends every request of `server` handed over (the server stops): 503, and the handlers are told. */
  stopping(server: string): void {
    for (const call of this.calls.values()) {
      if (call.server !== server) continue;
      call.x.response.fail(503, 'server shutting down');
      this.post(call, { t: 'gone', id: call.id });
    }
  }

  /**
   * The request's security as ids when it can cross (null: none), undefined when it stays here: an upgrade
   * (the relay needs the socket), context values from middleware, a scope built in Lua, or a registry
   * changed at run time on thread 1 (the others' registries are still the booted one).
   */
  private handable(ctx: ServiceContext, x: Exchange): PortableSecurity | null | undefined {
    if (x.upgrade !== null || x.context.size > 0 || ctx.store.version.id !== 0) return undefined;
    return portableSecurity(x.security, ctx.store.current);
  }

  /**
   * The thread with the least load, in turn among equals. Thread 1 also parses, routes and writes every
   * request, so its handlers count double and it takes one only when the others are busier: idle workers
   * always get the next request.
   */
  private pick(server: string): number {
    const candidates = [1];
    for (const [thread, servers] of this.ready) if (servers.has(server)) candidates.push(thread);
    let best = 1;
    let least = Number.POSITIVE_INFINITY;
    const start = this.turn++ % candidates.length;
    for (let i = 0; i < candidates.length; i++) {
      const thread = candidates[(start + i) % candidates.length];
      const n = this.busy.get(thread) ?? 0;
      const load = thread === 1 ? 2 * n + 1 : n;
      if (load < least) {
        least = load;
        best = thread;
      }
    }
    return best;
  }

  private counted(thread: number, run: () => Promise<void>): Promise<void> {
    this.busy.set(thread, (this.busy.get(thread) ?? 0) + 1);
    return run().finally(() => this.busy.set(thread, (this.busy.get(thread) ?? 1) - 1));
  }

  private post(call: RemoteCall, message: ToWorker, transfer?: ArrayBuffer[]): void {
    this.outboxes.get(call.thread)?.push(message, transfer);
  }

  /** `server` listens here: a copy of its socket for each worker that asks. */
  offer(server: string, copy: () => number | null): void {
    this.sockets.set(server, copy);
    for (const thread of this.asked.take(server)) this.sendSocket(thread, server);
  }

  /**
   * `server` stops listening here: every worker closes its copy, so that the address is free once this
   * resolves (a restart listens on it again; a worker that does not answer within WITHDRAW_MS is not waited for).
   * The workers ask again at once, and get a copy when a server listens here again.
   */
  withdraw(server: string): Promise<void> {
    this.sockets.delete(server);
    const threads = this.listening.take(server);
    if (threads.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(finish, WITHDRAW_MS);
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      this.dropping.set(server, { threads, done: finish });
      for (const thread of threads) this.outboxes.get(thread)?.push({ t: 'drop', server });
    }).finally(() => this.dropping.delete(server));
  }

  private dropped(thread: number, server: string): void {
    const d = this.dropping.get(server);
    if (d === undefined || !d.threads.delete(thread)) return;
    if (d.threads.size === 0) d.done();
  }

  private sendSocket(thread: number, server: string): void {
    const copy = this.sockets.get(server);
    if (copy === undefined) return this.asked.add(server, thread);
    const fd = copy();
    if (fd !== null) this.sent.add(thread, fd);
    this.outboxes.get(thread)?.push({ t: 'socket', server, fd });
  }

  private receive(thread: number, m: ToMain): void {
    if (!('id' in m)) {
      const servers = this.ready.get(thread);
      if (m.t === 'ready') servers?.add(m.server);
      else if (m.t === 'down') servers?.delete(m.server);
      else if (m.t === 'listen') this.sendSocket(thread, m.server);
      else if (m.t === 'dropped') this.dropped(thread, m.server);
      else if (this.sent.delete(thread, m.fd)) {
        if (m.t === 'unused') closeCopy(m.fd);
        else this.listening.add(m.server, thread);
      }
      return;
    }
    const call = this.calls.get(m.id);
    if (call === undefined || call.thread !== thread) return;
    switch (m.t) {
      case 'pull':
        return this.pull(call, m.max);
      case 'res':
        this.respond(call, m);
        if (m.done) this.finished(call, m.cost);
        return;
      case 'done':
        return this.finished(call, m.cost);
      case 'refused': {
        const settle = call.settle;
        this.calls.delete(call.id);
        return void this.counted(1, call.local).then(settle);
      }
    }
  }

  /** The handler ended on its thread, having cost it `cost` ms; the call is over once its response is written. */
  private finished(call: RemoteCall, cost: number): void {
    this.policy.ran(call.endpoint, cost, false);
    void call.writing.then(() => call.settle());
  }

  private pull(call: RemoteCall, max: number): void {
    const { id } = call;
    if (max <= 0) return void call.body?.close();
    call.body ??= call.x.request.takeBody();
    if (call.body === null) return this.post(call, { t: 'chunk', id, data: null, error: null });
    const failed = (e: unknown): void => this.post(call, { t: 'chunk', id, data: null, error: e instanceof Error ? e.message : String(e) });
    const send = (data: Uint8Array | null): void => {
      if (data === null) return this.post(call, { t: 'chunk', id, data: null, error: null });
      const own = movable(data);
      this.post(call, { t: 'chunk', id, data: own.data, error: null }, own.transfer);
    };
    try {
      const r = call.body.read(Math.min(max, PULL_MAX));
      if (r instanceof Promise) r.then(send, failed);
      else send(r);
    } catch (e) {
      failed(e);
    }
  }

  /** Writes the worker's response through the request's writer, in order; acknowledges bytes the client took. */
  private respond(call: RemoteCall, m: Extract<ToMain, { t: 'res' }>): void {
    const w = call.x.response;
    if (m.head !== null) {
      w.headers.clear();
      for (const [k, v] of m.head.headers) w.headers.set(k, v);
      w.handled = true;
      w.writeHeader(m.head.status);
      // A streamed response's headers go out now, as the handler's flush sent them on its thread.
      if (!m.end) void settled(w.flush());
    }
    if (m.data !== null) {
      const bytes = m.data.length;
      // The last bytes need no acknowledgement: the worker sends nothing more.
      const wrote = settled(w.write(m.data)).then(
        () => {
          if (!m.end) this.post(call, { t: 'ack', id: call.id, bytes });
        },
        () => {
          if (!m.end) this.post(call, { t: 'gone', id: call.id });
        },
      );
      call.writing = call.writing.then(() => wrote);
    }
    if (m.end) call.writing = call.writing.then(() => w.end());
  }

  /** A worker thread ended: its requests get a 502 (or, with a response under way, a cut connection). */
  private lost(thread: number): void {
    this.ready.delete(thread);
    this.asked.deleteValue(thread);
    for (const fd of this.sent.take(thread)) closeCopy(fd);
    this.listening.deleteValue(thread);
    for (const server of [...this.dropping.keys()]) this.dropped(thread, server);
    for (const call of [...this.calls.values()]) {
      if (call.thread !== thread) continue;
      if (call.x.response.headersSent) call.x.req.socket.destroy();
      else call.x.response.fail(502, 'handler thread ended');
      call.settle();
    }
  }
}

/** A maybe-promise as a promise that never throws synchronously. */
function settled(r: void | Promise<void>): Promise<void> {
  return r instanceof Promise ? r : Promise.resolve();
}

/** Thread 1's handoff for one http.service. */
export interface Handoff {
  call(func: string, x: Exchange, local: (cost?: (ms: number) => void) => Promise<void>): Promise<void>;
  stopping(): void;
  /** The server listens: `copy` makes a copy of its socket for a worker that asks. */
  offer(copy: () => number | null): void;
  /** The server stops listening: resolves once the workers closed their copies (ThreadHub.withdraw). */
  withdraw(): Promise<void>;
}

export function handoffFor(threads: ServiceThreads, server: string, ctx: ServiceContext): Handoff {
  let hub = hubs.get(threads);
  if (hub === undefined) {
    hub = new ThreadHub(threads.ports);
    hubs.set(threads, hub);
  }
  const h = hub;
  const endpoints = new Map<string, EndpointCost>();
  const endpointOf = (func: string): EndpointCost => {
    let e = endpoints.get(func);
    if (e === undefined) endpoints.set(func, (e = { ms: undefined }));
    return e;
  };
  return {
    call: (func, x, local) => h.call(ctx, server, func, endpointOf(func), x, local),
    stopping: () => h.stopping(server),
    offer: (copy) => h.offer(server, copy),
    withdraw: () => h.withdraw(server),
  };
}
