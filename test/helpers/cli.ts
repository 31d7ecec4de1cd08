/** Runs the real `wisp` command as a child process with real stdin/stdout. */
import { spawn, spawnSync } from 'child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join, sep } from 'path';
import { CONTROL_DIR } from '../../src/hosts/control';
import { freePort } from './net';
import { until } from './poll';

export const ROOT = join(__dirname, '..', '..');
export const WISP = join(ROOT, 'bin', 'wisp.js');
export const ECHO = join(ROOT, 'lua', 'echo-service');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

// eslint-disable-next-line no-control-regex
export const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

export interface WispOptions {
  cwd?: string;
  input?: string;
  timeoutMs?: number;
  /** Flags for node itself, before the script (e.g. --max-old-space-size=128). */
  node?: string[];
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Keep colour escapes in the output (by default they are stripped). */
  raw?: boolean;
}

export function wisp(args: string[], options: WispOptions = {}): Promise<CliResult> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const argv = [...(options.node ?? []), WISP, ...args];
    const child = spawn(process.execPath, argv, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`wisp ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 20000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const shown = options.raw ? (s: string) => s : plain;
      resolve({ code, stdout: shown(stdout), stderr: shown(stderr), ms: Date.now() - start });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * A copy of a project in a temp directory, with optional edits (file → transform of its text). The source's
 * `.wisp` (a running node's control socket, its state) is not copied: another test may be running wisp there.
 */
export function projectCopy(from: string, edits: Record<string, (text: string) => string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-'));
  const state = join(from, CONTROL_DIR);
  cpSync(from, dir, { recursive: true, filter: (path) => path !== state && !path.startsWith(state + sep) });
  for (const [file, edit] of Object.entries(edits)) {
    const path = join(dir, file);
    writeFileSync(path, edit(readFileSync(path, 'utf8')));
  }
  return dir;
}

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/** A fresh project in a temp directory: `files` maps paths under src/ to their text; wippy.lock is written. */
export function writeProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-'));
  writeFileSync(join(dir, 'wippy.lock'), 'directories:\n  src: ./src\n');
  for (const [file, text] of Object.entries(files)) {
    const path = join(dir, 'src', file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return dir;
}

/** Starts `wisp args` in `cwd`, collecting its output as it comes (for tests that signal or watch it live). */
export function startWisp(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [WISP, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += plain(d.toString())));
  child.stderr.on('data', (d: Buffer) => (stderr += plain(d.toString())));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let done = false;
  void exited.then(() => (done = true));
  return { child, exited, out: () => stdout, err: () => stderr, running: () => !done };
}

/**
 * For a describe block: `wisp args` in the project `make(port)` on a free port, started before its tests (they
 * run once the runtime is ready) and stopped after them, which must exit 0 having logged nothing matching `bad`.
 */
export function wispAround(args: string[], make: (port: number) => string, bad = /ERROR/): { port: number; run: ReturnType<typeof startWisp> } {
  const server = { port: 0, run: null as unknown as ReturnType<typeof startWisp> };
  beforeAll(async () => {
    server.port = await freePort();
    const run = startWisp(args, make(server.port));
    server.run = run;
    await until('the runtime to be ready', () => run.err().includes('runtime ready') || !run.running(), 60_000, () => run.err());
  }, 90_000);
  afterAll(async () => {
    server.run.child.kill('SIGINT');
    expect(await server.run.exited).toBe(0);
    expect(server.run.err()).not.toMatch(bad);
  }, 60_000);
  return server;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An `_index.yaml` with a terminal host `terminal` and an auto-started process host `processes`, then `entries`. */
export function indexWithHosts(namespace: string, entries: string): string {
  return `version: "1.0"
namespace: ${namespace}
entries:
  - name: terminal
    kind: terminal.host
  - name: processes
    kind: process.host
    lifecycle:
      auto_start: true
${entries}`;
}

/** The JSON fields of the log lines of `wisp run` (plain format, tab-separated) whose message is `message`. */
export function logged(stderr: string, message: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .map((line) => line.split('\t'))
    .filter((cols) => cols[2] === message && cols.length >= 4)
    .map((cols) => JSON.parse(cols[3]) as Record<string, unknown>);
}

/** The files a README section shows: each yaml or lua block whose first line names `src/<file>`. */
export function readmeSectionFiles(heading: string): Record<string, string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(`\n## ${heading}\n`)[1].split('\n## ')[0];
  const files: Record<string, string> = {};
  for (const [, , body] of section.matchAll(/```(yaml|lua)\n([\s\S]*?)```/g)) {
    const name = /^(?:#|--) src\/(\S+)\n/.exec(body);
    if (name !== null) files[name[1]] = body;
  }
  return files;
}
