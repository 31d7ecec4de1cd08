/** The client side of the control socket (src/hosts/control.ts), for `wisp top` and `wisp ps`. */
import { existsSync } from 'fs';
import { createConnection, type Socket } from 'net';
import { resolve } from 'path';
import { controlSocketPath, socketAddress, type ControlReply, type ControlRequest } from '../hosts/control';
import type { ProcessQuery } from '../hosts/snapshot';
import type { SystemSnapshot } from '../api/system';
import { UsageError } from './errors';

export class ControlClient {
  private buffer = '';
  private readonly waiting: ((line: string | null) => void)[] = [];
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.waiting.shift()?.(line);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(null);
    });
  }

  /** Connects to the `wisp run` of the project in `root`; a one-line UsageError when none runs there. */
  static connect(dir: string): Promise<ControlClient> {
    const root = resolve(dir);
    const path = controlSocketPath(root);
    if (!existsSync(path)) return Promise.reject(new UsageError(`no wisp run is running in ${root} (no ${path})`));
    return new Promise((resolve, reject) => {
      const socket = createConnection(socketAddress(path));
      socket.once('connect', () => resolve(new ControlClient(socket)));
      socket.once('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'EACCES' ? 'permission denied' : 'it is not running any more';
        reject(new UsageError(`cannot attach to the wisp run in ${root}: ${why} (${path})`));
      });
    });
  }

  snapshot(query: Partial<ProcessQuery> = {}): Promise<SystemSnapshot> {
    if (this.closed) return Promise.reject(new UsageError('the wisp run has stopped'));
    return new Promise((resolve, reject) => {
      this.waiting.push((line) => {
        if (line === null) return reject(new UsageError('the wisp run has stopped'));
        const reply = JSON.parse(line) as ControlReply;
        if (reply.ok) resolve(reply.snapshot);
        else reject(new UsageError(reply.error));
      });
      const request: ControlRequest = { op: 'snapshot', ...query };
      this.socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
