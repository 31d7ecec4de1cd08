/**
 * A set of named templates sharing delimiters and globals (Jet's Set with an in-memory loader, as Wippy
 * builds one per `template.set`). Templates are parsed when first rendered and kept until a source changes.
 */
import type { BlockNode } from './ast';
import { defaultVariables } from './builtins';
import { DEFAULT_DELIMITERS, type Delimiters } from './lexer';
import { parseTemplate, type Template } from './parser';
import { DEFAULT_RENDER_LIMITS, nodeError, Runtime, type RenderLimits, type SetAccess } from './runtime';
import { JetError, type Value } from './values';

export interface SetOptions {
  readonly delimiters?: Partial<Delimiters>;
  /** Variables every template sees after its own (Jet's AddGlobal). */
  readonly globals?: ReadonlyMap<string, Value>;
  /** Suffixes tried after a template name (Jet's default: "", .jet, .html.jet, .jet.html). */
  readonly extensions?: readonly string[];
  readonly limits?: Partial<RenderLimits>;
}

/** Why a render failed: the template does not exist, it does not parse, or running it failed. */
export type RenderFailure = 'not_found' | 'parse' | 'render';

export class RenderError extends Error {
  constructor(
    readonly failure: RenderFailure,
    message: string,
  ) {
    super(message);
    this.name = 'RenderError';
  }
}

const DEFAULT_EXTENSIONS = ['', '.jet', '.html.jet', '.jet.html'];

/** Go's path.Clean for slash paths. */
export function cleanPath(p: string): string {
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '.' : cleanPath(p.slice(0, i + 1) || '/');
}

export class TemplateSet {
  private readonly sources = new Map<string, string>();
  private readonly files = new Map<string, string>();
  private readonly cache = new Map<string, Template>();
  private readonly delimiters: Delimiters;
  private readonly extensions: readonly string[];
  private readonly limits: RenderLimits;
  private readonly globals: ReadonlyMap<string, Value>;
  private readonly defaults: ReadonlyMap<string, Value>;

  constructor(options: SetOptions = {}) {
    this.delimiters = { ...DEFAULT_DELIMITERS, ...stripEmpty(options.delimiters ?? {}) };
    this.extensions = options.extensions ?? DEFAULT_EXTENSIONS;
    this.limits = { ...DEFAULT_RENDER_LIMITS, ...(options.limits ?? {}) };
    this.globals = options.globals ?? new Map();
    this.defaults = defaultVariables((path) => this.getTemplate(cleanPath('/' + path)), this.limits.maxOutput);
  }

  /** Adds or replaces the template called `name` (a path inside the set: `page`, `partials/header`). */
  set(name: string, source: string): void {
    this.sources.set(name, source);
    this.files.set(cleanPath('/' + name), source);
    this.cache.clear();
  }

  delete(name: string): void {
    this.sources.delete(name);
    this.files.delete(cleanPath('/' + name));
    this.cache.clear();
  }

  has(name: string): boolean {
    return this.sources.has(name);
  }

  names(): string[] {
    return [...this.sources.keys()];
  }

  /** Renders template `name` with `variables` (the data); throws a RenderError. */
  render(name: string, variables: Map<string, Value>): string {
    if (!this.sources.has(name)) throw new RenderError('not_found', 'template not found');
    let template: Template;
    try {
      template = this.getTemplate(cleanPath('/' + name));
    } catch (e) {
      if (e instanceof JetError) throw new RenderError('parse', e.message);
      throw e;
    }
    let root = template;
    while (root.extends !== null) root = root.extends;
    const access: SetAccess = {
      globals: this.globals,
      defaults: this.defaults,
      sibling: (path, from) => this.sibling(path, from),
    };
    try {
      return new Runtime(access, variables, template.blocks as ReadonlyMap<string, BlockNode>, this.limits).run(root.root);
    } catch (e) {
      if (e instanceof JetError) throw new RenderError('render', e.message);
      if (e instanceof RangeError) throw new RenderError('render', 'template nested too deep');
      throw e;
    }
  }

  private sibling(path: string, from: string): Template {
    const resolved = path.startsWith('/') ? path : cleanPath(dirOf(from) + '/' + path);
    return this.getTemplate(resolved);
  }

  /** The parsed template at an absolute path, trying the set's extensions. */
  private getTemplate(path: string, parsing: string[] = []): Template {
    for (const ext of this.extensions) {
      const cached = this.cache.get(path + ext);
      if (cached !== undefined) return cached;
    }
    for (const ext of this.extensions) {
      const canonical = path + ext;
      const source = this.files.get(cleanPath(canonical));
      if (source === undefined) continue;
      if (parsing.includes(canonical)) {
        throw new JetError(`circular extends/import: ${[...parsing, canonical].join(' -> ')}`);
      }
      if (parsing.length >= this.limits.maxDepth) throw new JetError(`templates extend or import each other too deeply (more than ${this.limits.maxDepth})`);
      const chain = [...parsing, canonical];
      const t = parseTemplate(canonical, source, this.delimiters, (p, f) => {
        const target = p.startsWith('/') ? p : cleanPath(dirOf(f) + '/' + p);
        return this.getTemplate(target, chain);
      });
      this.cache.set(canonical, t);
      return t;
    }
    throw new JetError(`template ${path} could not be found`);
  }
}

function stripEmpty(d: Partial<Delimiters>): Partial<Delimiters> {
  const out: Partial<Record<keyof Delimiters, string>> = {};
  for (const [k, v] of Object.entries(d) as [keyof Delimiters, string | undefined][]) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

export { nodeError };
