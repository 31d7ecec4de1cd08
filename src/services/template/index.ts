/**
 * Runs `template.set` entries: each is a Jet TemplateSet (src/lib/jet) holding the `template.jet` entries
 * that name it, rebuilt when the registry changes so that the next render sees the new sources. The facet
 * `templates` renders by template name, as Wippy's jet.Set does.
 */
import type { TemplateRender, TemplateSetFacet } from '../../api/templates';
import '../../api/templates';
import { fromJSON } from '../../lib/expr/json';
import { RenderError, TemplateSet, type Value } from '../../lib/jet';
import type { Registry, TemplateJetEntry, TemplateSetEntry } from '../../registry';
import { serviceDefinition, type ServiceContext } from '../service';

/** The sources of the templates naming set `setId`, by template name (the first entry of a name wins). */
function sourcesOf(registry: Registry, setId: string, ctx: ServiceContext): Map<string, string> {
  const sources = new Map<string, string>();
  for (const e of registry.entries()) {
    if (e.kind !== 'template.jet') continue;
    const t = e as TemplateJetEntry;
    if (t.set !== setId) continue;
    if (sources.has(t.templateName)) {
      ctx.log('warn', 'template already exists in set', { template: t.templateName, set: setId, entry: t.id });
      continue;
    }
    sources.set(t.templateName, t.source);
  }
  return sources;
}

function sameSources(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** A template set as the `templates` module sees it: always the current sources. */
class LiveTemplateSet implements TemplateSetFacet {
  private set: TemplateSet;
  private sources = new Map<string, string>();
  private config: string;

  constructor(
    private entry: TemplateSetEntry,
    private readonly ctx: ServiceContext,
  ) {
    this.config = JSON.stringify([entry.delimiters, entry.globals]);
    this.set = this.makeSet();
  }

  private makeSet(): TemplateSet {
    const globals = fromJSON(JSON.stringify(this.entry.globals));
    // As Wippy: only the action delimiters are applied; comment delimiters and extensions keep Jet's defaults.
    return new TemplateSet({
      delimiters: { left: this.entry.delimiters.left, right: this.entry.delimiters.right },
      globals: globals instanceof Map ? (globals as Map<string, Value>) : new Map(),
    });
  }

  /** Follows a registry version: a changed set configuration or changed templates make a fresh set. */
  follow(registry: Registry, entry: TemplateSetEntry): void {
    const sources = sourcesOf(registry, entry.id, this.ctx);
    const config = JSON.stringify([entry.delimiters, entry.globals]);
    if (config === this.config && sameSources(sources, this.sources)) return;
    this.entry = entry;
    this.config = config;
    const set = this.makeSet();
    for (const [name, source] of sources) set.set(name, source);
    this.set = set;
    this.sources = sources;
  }

  render(name: string, data: ReadonlyMap<string, Value>): TemplateRender {
    try {
      return { ok: true, text: this.set.render(name, new Map(data)) };
    } catch (e) {
      if (e instanceof RenderError) return { ok: false, failure: e.failure, message: e.message };
      throw e;
    }
  }
}

export const templateService = serviceDefinition<TemplateSetEntry>({
  kinds: ['template.set'],
  start: (entry, ctx) => {
    const live = new LiveTemplateSet(entry, ctx);
    live.follow(ctx.store.current, entry);
    return {
      facets: { templates: live },
      registryChanged: (registry, changed) => live.follow(registry, changed as TemplateSetEntry),
      stop: async () => undefined,
    };
  },
});
