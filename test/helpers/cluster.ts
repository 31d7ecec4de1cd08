/** wisp nodes as separate OS processes joined through a real nats-server (test/helpers/nats.ts). */
import { spawn, type ChildProcess } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { plain, WISP } from './cli';

export interface WispNode {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  out(): string;
  err(): string;
  running(): boolean;
  /** Resolves when stdout+stderr match `pattern` (checked as output comes); rejects after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  write(text: string): void;
}

/** Heartbeats fast enough for tests to see a node go down within a few seconds, slow enough for a busy machine. */
export function writeClusterConfig(dir: string, extra = ''): void {
  writeFileSync(join(dir, '.wippy.yaml'), `version: "1.0"\ncluster:\n  name: test\n  heartbeat:\n    interval: 250ms\n    timeout: 2500ms\n${extra}`);
}

export function startNode(dir: string, name: string, url: string, args: string[] = [], env: Record<string, string> = {}): WispNode {
  const child = spawn(process.execPath, [WISP, 'run', '--cluster', url, '--node', name, ...args], {
    cwd: dir,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      const m = (stdout + stderr).match(w.pattern);
      if (m !== null) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout.on('data', (d: Buffer) => ((stdout += plain(d.toString())), check()));
  child.stderr.on('data', (d: Buffer) => ((stderr += plain(d.toString())), check()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  return {
    name,
    child,
    exited,
    out: () => stdout,
    err: () => stderr,
    running: () => !done,
    waitFor(pattern, ms = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.findIndex((w) => w.pattern === pattern), 1);
          reject(new Error(`node ${name}: no ${pattern} within ${ms} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }, ms);
        waiters.push({ pattern, resolve: (m) => (clearTimeout(timer), resolve(m)) });
        check();
      });
    },
    async kill(signal = 'SIGKILL') {
      if (!done) child.kill(signal);
      return exited;
    },
    write(text) {
      child.stdin.write(text);
    },
  };
}
