/**
 * The terminal host: a Lua host whose process owns stdin/stdout/stderr and the CLI arguments.
 * It runs one process at a time; only its process may use `io`.
 */
import { LuaHost } from './lua-host';
import { attachTerminal } from '../modules/io';
import type { Terminal } from '../api/terminal';
import { ErrorValue, type Value } from '../kernel/value';
import type { LuaProcess } from '../engine/process';
import type { Node, ProcessRecord } from '../kernel/node';
import type { RegistryStore } from '../registry';
import type { RuntimeVmOptions } from '../modules';

export class TerminalHost extends LuaHost {
  private busy = false;

  constructor(id: string, node: Node, store: RegistryStore, options: RuntimeVmOptions, private readonly terminal: Terminal) {
    super(id, node, store, options);
  }

  override start(record: ProcessRecord, entryId: string, args: readonly Value[]): ErrorValue | null {
    if (this.busy) return new ErrorValue(`terminal host ${this.id} is busy: it runs one process at a time`, 'Unavailable');
    return super.start(record, entryId, args);
  }

  protected override prepare(proc: LuaProcess): void {
    this.busy = true;
    attachTerminal(proc, this.terminal);
  }

  protected override ended(): void {
    this.busy = false;
  }
}

/** stdin/stdout/stderr as a Terminal. Input is read only once a process asks for it. */
export class StdioTerminal implements Terminal {
  private buffer = '';
  private ended = false;
  private reading = false;
  private readonly waiting: (() => void)[] = [];
  /** Streams whose reader went away (EPIPE): further output is dropped instead of crashing the runtime. */
  private readonly closed = new Set<NodeJS.WritableStream>();
  /** Whether the process's last output (stdout or stderr) ended a line: the CLI's notices start on one. */
  atLineStart = true;

  constructor(
    readonly args: readonly string[],
    private readonly input: NodeJS.ReadableStream & { unref?(): void } = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stdout,
    private readonly errors: NodeJS.WritableStream = process.stderr,
  ) {
    for (const stream of [output, errors]) stream.on('error', () => this.closed.add(stream));
  }

  write(text: string): void {
    if (text !== '') this.atLineStart = text.endsWith('\n');
    if (!this.closed.has(this.output)) this.output.write(text);
  }

  writeError(text: string): void {
    if (text !== '') this.atLineStart = text.endsWith('\n');
    if (!this.closed.has(this.errors)) this.errors.write(text);
  }

  async readLine(): Promise<string | null> {
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        return line.endsWith('\r') ? line.slice(0, -1) : line;
      }
      if (this.ended) {
        if (this.buffer === '') return null;
        const rest = this.buffer;
        this.buffer = '';
        return rest;
      }
      await this.more();
    }
  }

  async read(n: number): Promise<string | null> {
    while (this.buffer === '' && !this.ended) await this.more();
    if (this.buffer === '') return null;
    const chunk = this.buffer.slice(0, n);
    this.buffer = this.buffer.slice(chunk.length);
    return chunk;
  }

  /** Stops reading, so an open stdin does not keep the process alive. */
  close(): void {
    if (!this.reading) return;
    this.input.removeAllListeners('data');
    this.input.removeAllListeners('end');
    this.input.pause();
    this.input.unref?.();
  }

  private more(): Promise<void> {
    if (!this.reading) {
      this.reading = true;
      this.input.setEncoding('utf8');
      this.input.on('data', (chunk: string) => {
        this.buffer += chunk;
        this.wakeReaders();
      });
      this.input.on('end', () => {
        this.ended = true;
        this.wakeReaders();
      });
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private wakeReaders(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}
