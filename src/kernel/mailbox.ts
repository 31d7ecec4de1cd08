/**
 * A process's mailbox: a message goes to the first `listen` subscription whose
 * pattern matches its topic, else to the inbox; with no taker it waits, in order, until one subscribes.
 * Events (EXIT, LINK_DOWN, CANCEL) wait the same way for `process.events()`.
 *
 * Unread messages are limited (src/engine/spec.md "Memory"): the ones waiting here plus the ones a subscriber
 * has taken but its process has not received yet (its Backlog). The Router refuses a send beyond the limit;
 * events are never refused.
 */
import { Fifo } from '../util/fifo';
import { quoteRegex, Regex } from '../lib/regex';
import type { Message } from './message';
import type { Value } from './value';

export type MessageSink = (message: Message) => void;
export type EventSink = (event: Value) => void;

/** How many unread messages a process may have before sends to it fail. */
export const MAILBOX_LIMIT = 100_000;

/** Messages a subscriber holds that its process has not read yet (a channel's buffer). */
export interface Backlog {
  readonly buffered: number;
}

/** A backlog that can end (a closed channel): it stops counting once it is closed and drained. */
export interface EndingBacklog extends Backlog {
  readonly closed: boolean;
}

export interface Subscription {
  readonly topic: string;
  readonly sink: MessageSink;
  readonly matches: (topic: string) => boolean;
  readonly backlog: Backlog | null;
}

/**
 * `*` matches within one dot-separated segment, `**` across segments; anything else is literal. A wildcard
 * pattern is an RE2 program (src/lib/regex.ts): linear in the topic, whatever the pattern.
 */
export function topicMatcher(pattern: string): (topic: string) => boolean {
  if (!pattern.includes('*')) return (topic) => topic === pattern;
  const source = pattern
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^.]*' : quoteRegex(part)))
    .join('');
  const re = Regex.compile(`^${source}$`);
  return (topic) => re.test(topic);
}

/** Most processes never listen to a topic: they share this empty list until their first `listen`. */
const NO_LISTENERS: Subscription[] = [];

export class Mailbox {
  private readonly pending = new Fifo<Message>();
  private readonly pendingEvents = new Fifo<Value>();
  private listeners: Subscription[] = NO_LISTENERS;
  private inbox: MessageSink | null = null;
  private inboxBacklog: Backlog | null = null;
  private events: EventSink | null = null;
  /** Buffers of subscriptions fed from outside the topic routing (the event bus), counted as unread too. */
  private held: Set<EndingBacklog> | null = null;

  get queued(): number {
    return this.pending.length + this.pendingEvents.length;
  }

  /** Messages not read yet: waiting here for a subscriber, or held by one (events not counted). */
  get unread(): number {
    // Counted on every send: most mailboxes have an inbox channel and nothing else.
    let n = this.pending.length;
    if (this.inboxBacklog !== null) n += this.inboxBacklog.buffered;
    if (this.listeners !== NO_LISTENERS) for (let i = 0; i < this.listeners.length; i++) n += this.listeners[i].backlog?.buffered ?? 0;
    if (this.held !== null) for (const backlog of this.heldBacklogs()) n += backlog.buffered;
    return n;
  }

  /** Messages waiting for a subscriber, oldest first (the memory watchdog measures them). */
  forEachPending(fn: (message: Message) => void): void {
    this.pending.forEach(fn);
  }

  /** The first `n` messages waiting for a subscriber, oldest first (the live view's mailbox head). */
  head(n: number): Message[] {
    const out: Message[] = [];
    this.pending.forEach((m) => {
      if (out.length < n) out.push(m);
    });
    return out;
  }

  /** Messages taken by the inbox channel but not yet received from it. */
  get inboxBuffered(): number {
    return this.inboxBacklog?.buffered ?? 0;
  }

  /** What the subscribers hold (the memory watchdog measures it). */
  backlogs(): Backlog[] {
    const out: Backlog[] = [];
    if (this.inboxBacklog !== null) out.push(this.inboxBacklog);
    for (const sub of this.listeners) if (sub.backlog !== null) out.push(sub.backlog);
    for (const backlog of this.heldBacklogs()) out.push(backlog);
    return out;
  }

  /**
   * Counts `backlog` as this process's unread mail (an event-bus subscription's channel). Closing the
   * subscription does not take back what it delivered: it counts until the process has read it all.
   */
  hold(backlog: EndingBacklog): void {
    (this.held ??= new Set()).add(backlog);
  }

  private heldBacklogs(): Iterable<EndingBacklog> {
    if (this.held === null) return [];
    for (const backlog of this.held) if (backlog.closed && backlog.buffered === 0) this.held.delete(backlog);
    return this.held;
  }

  deliver(message: Message): void {
    const sink = this.route(message.topic);
    if (sink !== null) sink(message);
    else this.pending.push(message);
  }

  deliverEvent(event: Value): void {
    if (this.events !== null) this.events(event);
    else this.pendingEvents.push(event);
  }

  subscribeInbox(sink: MessageSink, backlog: Backlog | null = null): void {
    this.inbox = sink;
    this.inboxBacklog = backlog;
    this.flush();
  }

  subscribeEvents(sink: EventSink): void {
    this.events = sink;
    for (let e = this.pendingEvents.shift(); e !== undefined; e = this.pendingEvents.shift()) sink(e);
  }

  listen(topic: string, sink: MessageSink, backlog: Backlog | null = null, matches = topicMatcher(topic)): Subscription {
    const sub: Subscription = { topic, sink, matches, backlog };
    if (this.listeners === NO_LISTENERS) this.listeners = [];
    this.listeners.push(sub);
    this.flush();
    return sub;
  }

  unlisten(sub: Subscription): void {
    const i = this.listeners.indexOf(sub);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  private route(topic: string): MessageSink | null {
    for (const sub of this.listeners) if (sub.matches(topic)) return sub.sink;
    return this.inbox;
  }

  /** Hands waiting messages to a new subscriber, keeping the order of those that still wait. */
  private flush(): void {
    const n = this.pending.length;
    for (let i = 0; i < n; i++) {
      const message = this.pending.shift() as Message;
      const sink = this.route(message.topic);
      if (sink !== null) sink(message);
      else this.pending.push(message);
    }
  }
}
