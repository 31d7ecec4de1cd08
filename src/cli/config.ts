/**
 * `.wippy.yaml` (or `--config <file>`) and `--set section.path=value`, as Wippy reads them: a `version: "1.0"`
 * file of sections whose nested keys are flattened to dotted paths. wisp honours `logger.level`,
 * `logger.encoding`, `shutdown.timeout`, `security.strict_mode` and the `override` section (entry overrides, like `-o`); every other
 * key is named in a warning, since a typo there would silently change nothing.
 */
import { lstatSync, realpathSync } from 'fs';
import * as path from 'path';
import { parseYaml, YamlError } from '../util/yaml';
import { durationFrom, DurationError } from '../lib/duration';
import { ioReason, overrideValue, parseOverride, ProjectFiles, readRegularFile, Refused, type Override } from '../registry';
import type { LoggerConfig } from './logs';
import type { LogLevel } from '../api/logging';
import { UsageError } from './errors';

export const DEFAULT_CONFIG_FILE = '.wippy.yaml';

export interface RuntimeConfig {
  readonly logger: LoggerConfig;
  /** How long a graceful shutdown may take in all; null: the services' stop timeouts decide. */
  readonly shutdownTimeoutMs: number | null;
  readonly overrides: Override[];
  /** `security.strict_mode`: a permission check without an actor or a scope is denied (default: allowed). */
  readonly securityStrict: boolean;
  readonly warnings: string[];
  /** Any setting by its dotted path (`cluster.nats.url`), for the parts that read their own section. */
  readonly setting: (path: string) => unknown;
  /** How messages name the config file. */
  readonly file: string;
}

/** Sections read elsewhere (src/cluster/config.ts, src/cli/prometheus.ts): no "not used" warning for them. */
const READ_ELSEWHERE = new Set(['cluster', 'relay.node_name', 'prometheus']);

type Sections = Map<string, Map<string, unknown>>;

/**
 * Reads the config. An explicit `--config` file must exist; the default `.wippy.yaml` may be absent, as in
 * Wippy. `sets` are `--set` flags, applied over the file.
 */
export function loadConfig(cwd: string, explicit: string | undefined, sets: readonly string[]): RuntimeConfig {
  const file = path.resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  const shown = explicit ?? DEFAULT_CONFIG_FILE;
  let text: string | null = null;
  try {
    text = readConfigFile(cwd, file, explicit !== undefined);
  } catch (e) {
    if (!(e instanceof Refused) && (e as NodeJS.ErrnoException).code === 'ENOENT' && explicit === undefined && !present(file)) {
      text = null; // no .wippy.yaml: Wippy's defaults
    } else {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT' && !(e instanceof Refused);
      throw new UsageError(`config file ${shown}: ${missing ? (present(file) ? 'a symbolic link to nothing' : 'not found') : ioReason(e)}`);
    }
  }
  const sections: Sections = text === null ? new Map() : readSections(text, shown);
  for (const set of sets) applySet(sections, set);
  return interpret(sections, shown);
}

/**
 * The config file's text. `.wippy.yaml` is one of the project's files, read through the same gate as the
 * others (inside the project, links resolved; a regular file). A `--config` file the operator named may be
 * anywhere, but it too must be a regular file: a FIFO or a device would hang the run.
 */
function readConfigFile(cwd: string, file: string, explicit: boolean): string {
  return (explicit ? readRegularFile(realpathSync(file)) : new ProjectFiles(cwd).read(file)).toString('utf8');
}

/** Whether anything (a dangling link too) is at `file`. */
function present(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

function readSections(text: string, shown: string): Sections {
  let doc: unknown;
  try {
    doc = parseYaml(text, shown);
  } catch (e) {
    if (e instanceof YamlError) throw new UsageError(`${shown}:${e.line ?? ''}${e.line === undefined ? '' : ':'} ${e.reason}`);
    throw e;
  }
  if (doc === null || doc === undefined) throw new UsageError(`${shown}: missing "version" field`);
  if (!isRecord(doc)) throw new UsageError(`${shown}: expected a mapping of sections`);
  if (doc.version === undefined) throw new UsageError(`${shown}: missing "version" field`);
  if (String(doc.version) !== '1.0' && doc.version !== 1) throw new UsageError(`${shown}: unsupported version "${String(doc.version)}" (supported: 1.0)`);
  const sections: Sections = new Map();
  for (const [name, value] of Object.entries(doc)) {
    if (name === 'version') continue;
    if (!isRecord(value)) throw new UsageError(`${shown}: section "${name}" must be a mapping`);
    sections.set(name, flatten(value));
  }
  return sections;
}

/** Nested mappings become dotted keys (`cluster: {nats: {url: x}}` → `nats.url`); override keys keep their colons. */
function flatten(value: Record<string, unknown>, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  for (const [k, v] of Object.entries(value)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (isRecord(v)) flatten(v, key, into);
    else into.set(key, v);
  }
  return into;
}

function applySet(sections: Sections, set: string): void {
  const eq = set.indexOf('=');
  if (eq < 0) throw new UsageError(`invalid --set "${set}": expected section.path=value`);
  const key = set.slice(0, eq).trim();
  const dot = key.indexOf('.');
  if (dot <= 0 || dot === key.length - 1) throw new UsageError(`invalid --set "${set}": key must be section.path (e.g. logger.level)`);
  const section = key.slice(0, dot);
  if (!sections.has(section)) sections.set(section, new Map());
  sections.get(section)!.set(key.slice(dot + 1), overrideValue(set.slice(eq + 1)));
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

function interpret(sections: Sections, shown: string): RuntimeConfig {
  const warnings: string[] = [];
  const logger: { level?: LogLevel; encoding?: 'console' | 'json' } = {};
  let shutdownTimeoutMs: number | null = null;
  let securityStrict = false;
  const overrides: Override[] = [];
  for (const [section, keys] of sections) {
    for (const [key, value] of keys) {
      const name = `${section}.${key}`;
      if (name === 'logger.level') {
        const level = String(value).toLowerCase();
        if (!(LEVELS as readonly string[]).includes(level)) throw new UsageError(`${name}: expected one of ${LEVELS.join(', ')}, got "${String(value)}"`);
        logger.level = level as LogLevel;
      } else if (name === 'logger.encoding') {
        if (value !== 'console' && value !== 'json') throw new UsageError(`${name}: expected console or json, got "${String(value)}"`);
        logger.encoding = value;
      } else if (name === 'shutdown.timeout') {
        shutdownTimeoutMs = durationMs(name, value);
      } else if (name === 'security.strict_mode') {
        if (typeof value !== 'boolean') throw new UsageError(`${name}: expected true or false, got "${String(value)}"`);
        securityStrict = value;
      } else if (section === 'override') {
        overrides.push({ ...parseOverride(`${key}=`), value });
      } else if (READ_ELSEWHERE.has(section) || READ_ELSEWHERE.has(name)) {
        // read by its own part
      } else {
        warnings.push(`${shown}: ${name} is not used by wisp (ignored)`);
      }
    }
  }
  const setting = (path: string): unknown => {
    const dot = path.indexOf('.');
    return dot < 0 ? undefined : sections.get(path.slice(0, dot))?.get(path.slice(dot + 1));
  };
  return { logger, shutdownTimeoutMs, overrides, securityStrict, warnings, setting, file: shown };
}

function durationMs(name: string, value: unknown): number {
  try {
    if (typeof value !== 'string' && typeof value !== 'number') throw new DurationError('expected a duration');
    return durationFrom(value) / 1e6;
  } catch (e) {
    throw new UsageError(`${name}: ${(e as Error).message}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}
