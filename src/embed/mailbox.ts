/**
 * A process driven by JavaScript: a real PID of the node, on the host `js`, which Lua processes send to,
 * monitor and link like any other. Its messages and events arrive in async queues; what it sends goes through
 * the Router, with its PID as the sender.
 */
import { ErrorValue, Table, type Value } from '../kernel/value';
import { SCOPE } from '../kernel/names';
import type { Host, Node, ProcessRecord } from '../kernel/node';
import type { Outcome } from '../kernel/message';
import { AsyncQueue } from './queue';
import { fromValue, toLuaError, toValue } from './convert';
import { LuaError } from './values';
import type { Mailbox, ProcessEvent, ReceivedMessage } from './types';

/** The host of JavaScript-driven processes (registry ids hold a colon, so it cannot clash with one). */
export const JS_HOST = 'js';

/** Registers the `js` host on `node`: its PIDs resolve, and nothing can be spawned on it from Lua. */
export function addJsHost(node: Node): void {
  const host: Host = { id: JS_HOST, start: () => new ErrorValue('processes on the js host are made by the embedding API, not spawned', 'Invalid') };
  node.addHost(host);
}

export class JsProcess implements Mailbox {
  readonly pid: string;
  private readonly eventQueue = new AsyncQueue<ProcessEvent>();
  private readonly messages = new AsyncQueue<ReceivedMessage>();
  private readonly record: ProcessRecord;

  constructor(
    private readonly node: Node,
    name: string | undefined,
  ) {
    this.record = node.createProcess(JS_HOST, 'js', null, { terminate: (reason) => this.end({ value: null, error: reason }) });
    this.pid = this.record.id;
    // A linked process's failure is news for JavaScript, not a reason to die.
    this.record.trapLinks = true;
    // What JavaScript has not read counts as unread mail: past the node's limit, senders are refused.
    const messages = this.messages;
    const backlog = { get buffered(): number { return messages.size; } };
    this.record.mailbox.subscribeInbox((m) => messages.push({ from: m.from, topic: m.topic, data: m.payloads.length > 0 ? fromValue(m.payloads[0]) : null, payloads: m.payloads.map(fromValue) }), backlog);
    this.record.mailbox.subscribeEvents((e) => this.eventQueue.push(processEvent(e)));
    if (name !== undefined) this.register(name);
  }

  get alive(): boolean {
    return this.record.alive;
  }

  async receive(): Promise<ReceivedMessage> {
    const m = await this.messages.next();
    if (m === null) throw new LuaError(`mailbox ${this.pid} is closed`, 'Canceled');
    return m;
  }

  [Symbol.asyncIterator](): AsyncIterator<ReceivedMessage> {
    return this.messages[Symbol.asyncIterator]();
  }

  nextEvent(): Promise<ProcessEvent | null> {
    return this.eventQueue.next();
  }

  events(): AsyncIterable<ProcessEvent> {
    return this.eventQueue;
  }

  send(dest: string, topic: string, ...payloads: unknown[]): void {
    check(this.node.router.send(this.pid, dest, topic, payloads.map(toValue)));
  }

  register(name: string): void {
    const r = this.node.register(name, this.pid, SCOPE.LOCAL);
    check(r instanceof Promise ? null : r);
  }

  monitor(dest: string): void {
    check(this.node.router.monitor(this.pid, dest));
  }

  link(dest: string): void {
    check(this.node.router.link(this.pid, dest));
  }

  close(): void {
    this.end({ value: null, error: null });
  }

  private end(outcome: Outcome): void {
    if (!this.record.alive) return;
    this.node.exited(this.pid, outcome);
    this.messages.close();
    this.eventQueue.close();
  }
}

export function check(error: ErrorValue | null): void {
  if (error !== null) throw toLuaError(error);
}

/** The public form of an event table the kernel delivers (kernel/message.ts). */
function processEvent(e: Value): ProcessEvent {
  const table = e instanceof Table ? e : new Table();
  const text = (key: string): string => String(table.get(key) ?? '');
  const result = table.get('result');
  const error = result instanceof Table ? result.get('error') : null;
  return {
    kind: text('kind'),
    from: text('from'),
    ...(result instanceof Table ? { result: fromValue(result.get('value')) } : {}),
    ...(error instanceof ErrorValue ? { error: toLuaError(error) } : {}),
    ...(table.get('reason') !== null ? { reason: text('reason') } : {}),
  };
}
