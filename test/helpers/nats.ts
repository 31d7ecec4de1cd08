/** A real nats-server (with JetStream) on a free loopback port, for the cluster tests. */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { connect as tcpConnect } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { freePort } from './net';

/** The server binary: on PATH, or where Debian's package puts it (/usr/sbin, not on every user's PATH). */
export function natsServerPath(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  if (found !== '') return found;
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : null;
}

export const hasNats = natsServerPath() !== null;

/** `describe` when nats-server is installed, `describe.skip` otherwise (CI installs it, see .ci/run). */
export const describeNats = hasNats ? describe : describe.skip;

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = tcpConnect(port, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

export class NatsServer {
  private child: ChildProcess | null = null;
  private log = '';

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly extraArgs: readonly string[],
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts a server with JetStream (`-js -sd <tmpdir>`) on a free port and waits until it accepts clients. */
  static async start(extraArgs: readonly string[] = []): Promise<NatsServer> {
    const server = new NatsServer(await freePort(), mkdtempSync(join(tmpdir(), 'wisp-nats-')), extraArgs);
    await server.restart();
    return server;
  }

  /** Starts it again on the same port and store (after `kill`). */
  async restart(): Promise<void> {
    const bin = natsServerPath();
    if (bin === null) throw new Error('nats-server is not installed');
    const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, ...this.extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    this.child = child;
    const deadline = Date.now() + 15_000;
    while (!(await accepting(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nats-server did not start:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // JetStream answers a little after the port opens.
    await new Promise((r) => setTimeout(r, 200));
  }

  /** Kills the server at once (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    this.child = null;
  }

  /** Sends a signal to the server (SIGSTOP stalls it: clients stay connected and nothing is read). */
  signal(signal: NodeJS.Signals): void {
    if (this.child !== null && this.child.exitCode === null) this.child.kill(signal);
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.storeDir, { recursive: true, force: true });
  }

  output(): string {
    return this.log;
  }
}
