/**
 * A process's mailbox (spec §3.1 "Routing rule"): a message goes to the first `listen` subscription whose
 * pattern matches its topic, else to the inbox; with no taker it waits, in order, until one subscribes.
 * Events (EXIT, LINK_DOWN, CANCEL) wait the same way for `process.events()`.
 */
import { Fifo } from '../util/fifo';
import type { Message } from './message';
import type { Value } from './value';

export type MessageSink = (message: Message) => void;
export type EventSink = (event: Value) => void;

export interface Subscription {
  readonly topic: string;
  readonly sink: MessageSink;
  readonly matches: (topic: string) => boolean;
}

/** `*` matches within one dot-separated segment, `**` across segments; anything else is literal. */
export function topicMatcher(pattern: string): (topic: string) => boolean {
  if (!pattern.includes('*')) return (topic) => topic === pattern;
  const source = pattern
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^.]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${source}$`);
  return (topic) => re.test(topic);
}

export class Mailbox {
  private readonly pending = new Fifo<Message>();
  private readonly pendingEvents = new Fifo<Value>();
  private readonly listeners: Subscription[] = [];
  private inbox: MessageSink | null = null;
  private events: EventSink | null = null;

  get queued(): number {
    return this.pending.length + this.pendingEvents.length;
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

  subscribeInbox(sink: MessageSink): void {
    this.inbox = sink;
    this.flush();
  }

  subscribeEvents(sink: EventSink): void {
    this.events = sink;
    for (let e = this.pendingEvents.shift(); e !== undefined; e = this.pendingEvents.shift()) sink(e);
  }

  listen(topic: string, sink: MessageSink): Subscription {
    const sub: Subscription = { topic, sink, matches: topicMatcher(topic) };
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
