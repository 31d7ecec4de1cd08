/**
 * The server as a host, as in Wippy: each relayed connection (a websocket or an SSE stream) is a process on
 * it, with a PID other processes send to, monitor and link with. Its "code" is the relay: messages to the PID
 * go to the client, and it exits (reporting EXIT to monitors) when the connection closes.
 */
import { ErrorValue, type Value } from '../../kernel/value';
import type { Message } from '../../kernel/message';
import type { Host, Node, ProcessRecord } from '../../kernel/node';

export interface Connection {
  readonly pid: string;
  /** Ends the process (normally, or with an error for monitors and links). */
  exit(error?: string): void;
}

export interface ConnectionHandlers {
  onMessage(message: Message): void;
  /** EXIT and other events (the connection monitors its target). */
  onEvent(event: Value): void;
  /** The node terminated the process (a link, a `process.terminate`, shutdown). */
  onTerminate(reason: ErrorValue): void;
}

export class RelayHost implements Host {
  private readonly live = new Map<string, ProcessRecord>();

  constructor(
    readonly id: string,
    private readonly node: Node,
  ) {
    node.addHost(this);
  }

  get connections(): number {
    return this.live.size;
  }

  start(): ErrorValue | null {
    return new ErrorValue(`host ${this.id} is an HTTP server: it runs connection relays, not entries`, 'Invalid', false);
  }

  open(kind: string, handlers: ConnectionHandlers): Connection {
    let ended = false;
    const record = this.node.createProcess(this.id, `${this.id}:${kind}`, null, {
      terminate: (reason) => {
        handlers.onTerminate(reason);
        exit(reason.message);
      },
    });
    const exit = (error?: string): void => {
      if (ended) return;
      ended = true;
      this.live.delete(record.id);
      this.node.exited(record.id, { value: null, error: error === undefined ? null : new ErrorValue(error, 'Internal', false) });
    };
    this.live.set(record.id, record);
    record.mailbox.subscribeInbox((m) => handlers.onMessage(m));
    record.mailbox.subscribeEvents((e) => handlers.onEvent(e));
    return { pid: record.id, exit };
  }

  /** Ends every connection process (the server stops). */
  closeAll(): void {
    for (const r of [...this.live.values()]) r.runtime?.terminate(new ErrorValue('server stopped', 'Canceled', false));
  }
}
