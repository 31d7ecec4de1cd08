/**
 * A real PostgreSQL server for the tests: its own cluster (initdb) in a fresh temp directory, on a free loopback
 * port, started and stopped with pg_ctl. Debian's `postgresql` package provides the binaries (.ci/run installs
 * it); as root the server runs as the `postgres` user (or `nobody`), since PostgreSQL refuses to run as root.
 */
import { execFileSync, spawnSync } from 'child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir, userInfo } from 'os';
import { join } from 'path';
import { freePort } from './net';

/** The directory holding initdb and pg_ctl (Debian: /usr/lib/postgresql/<version>/bin), or null. */
export function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0], 'bin');
  }
  const found = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim();
  return found === '' ? null : join(found, '..');
}

export const hasPostgres = postgresBin() !== null;

/** `describe` when PostgreSQL is installed; otherwise a skipped block whose name says why. */
export function describePostgres(name: string, fn: () => void): void {
  if (hasPostgres) describe(name, fn);
  else describe.skip(`${name} (skipped: PostgreSQL binaries not found; apt-get install postgresql)`, fn);
}

/** The user the server runs as: ourselves, or when we are root an unprivileged account. */
function serverUser(): { name: string; uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (r.status === 0) {
      const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
      return { name, uid: Number(r.stdout.trim()), gid };
    }
  }
  throw new Error('running as root and no postgres or nobody user to run PostgreSQL as');
}

export class PostgresServer {
  /** The superuser (trust authentication on loopback: any password is accepted). */
  readonly user = 'wisp';
  readonly database = 'postgres';
  private running = false;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly bin: string,
    private readonly runAs: { name: string; uid: number; gid: number } | null,
  ) {}

  /** A new cluster in a temp directory, started on a free loopback port. */
  static async start(): Promise<PostgresServer> {
    const bin = postgresBin();
    if (bin === null) throw new Error('PostgreSQL binaries not found');
    const dir = mkdtempSync(join(tmpdir(), 'wisp-pg-'));
    const runAs = serverUser();
    if (runAs !== null) {
      chmodSync(dir, 0o755);
      chownSync(dir, runAs.uid, runAs.gid);
    }
    const server = new PostgresServer(await freePort(), dir, bin, runAs);
    server.pg('initdb', ['-D', join(dir, 'data'), '-U', server.user, '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
    await server.resume();
    return server;
  }

  private pg(tool: string, args: string[]): string {
    const path = join(this.bin, tool);
    const [cmd, argv] = this.runAs === null ? [path, args] : ['runuser', ['-u', this.runAs.name, '--', path, ...args]];
    try {
      return execFileSync(cmd, argv, { encoding: 'utf8', cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${tool} failed: ${err.stderr ?? ''}${err.stdout ?? ''}${err.message}\n${this.log()}`);
    }
  }

  /** The server's log so far (for failure messages). */
  log(): string {
    const file = join(this.dir, 'server.log');
    return existsSync(file) ? readFileSync(file, 'utf8').slice(-4000) : '';
  }

  /** Starts (or starts again) the server on the same port and data, and waits until it accepts connections. */
  async resume(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
    this.pg('pg_ctl', ['-D', join(this.dir, 'data'), '-l', join(this.dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
    this.running = true;
  }

  /** Stops it: `fast` ends sessions at once (their queries fail), `immediate` is a crash. */
  async halt(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.running) return;
    this.pg('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', '-t', '60', 'stop']);
    this.running = false;
  }

  /** Stops it and removes its files. */
  async destroy(): Promise<void> {
    await this.halt('immediate').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The YAML fields of a `db.sql.postgres` entry for this server. */
  entryFields(indent = '    '): string {
    return [`host: 127.0.0.1`, `port: ${this.port}`, `database: ${this.database}`, `username: ${this.user}`, `password: any`].map((l) => indent + l).join('\n');
  }
}
