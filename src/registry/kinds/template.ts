/**
 * `template.set` and `template.jet` (Wippy's api/service/template/config.go): a set of Jet templates sharing
 * delimiters and globals, and the templates that belong to one (by `set`, named by `meta.name` or the entry
 * name). `source` may be `file://` like any field.
 */
import { isMapping } from '../errors';
import { kindDefinition, serviceBase } from '../kind';
import { qualify, type ServiceEntry } from '../types';

export interface TemplateDelimiters {
  readonly left: string;
  readonly right: string;
  readonly commentLeft: string;
  readonly commentRight: string;
}

export interface TemplateSetEntry extends ServiceEntry {
  readonly kind: 'template.set';
  readonly developmentMode: boolean;
  readonly delimiters: TemplateDelimiters;
  readonly extensions: readonly string[];
  /** Variables every template of the set sees, as written (plain YAML values). */
  readonly globals: Readonly<Record<string, unknown>>;
}

export interface TemplateJetEntry extends ServiceEntry {
  readonly kind: 'template.jet';
  /** The full id of its set. */
  readonly set: string;
  readonly source: string;
  /** Its name inside the set: `meta.name`, else the entry's name. */
  readonly templateName: string;
}

export const templateSetKind = kindDefinition<TemplateSetEntry>({
  kinds: ['template.set'],
  parse: (f, base) => {
    const engine = f.sub('engine');
    const d = engine.sub('delimiters');
    const text = (key: string, fallback: string): string => {
      if (!d.has(key)) return fallback;
      const v = d.data[key];
      if (typeof v !== 'string') return d.typeError(key, 'a string');
      return v === '' ? fallback : v;
    };
    const delimiters = {
      left: text('left', '{{'),
      right: text('right', '}}'),
      commentLeft: text('comment_left', '{*'),
      commentRight: text('comment_right', '*}'),
    };
    if (delimiters.left === delimiters.commentLeft || delimiters.right === delimiters.commentRight) {
      throw f.site.error('delimiters and comment delimiters cannot be the same');
    }
    const extensions = engine.stringList('extensions');
    const globals = engine.has('globals') ? engine.data.globals : {};
    if (!isMapping(globals)) engine.typeError('globals', 'a mapping');
    return {
      ...serviceBase(f, base, false),
      kind: 'template.set',
      developmentMode: engine.boolean('development_mode', false),
      delimiters,
      extensions: extensions.length > 0 ? extensions : ['.jet', '.html.jet', '.jet.html'],
      globals: globals as Record<string, unknown>,
    };
  },
});

export const templateJetKind = kindDefinition<TemplateJetEntry>({
  kinds: ['template.jet'],
  parse: (f, base) => {
    const source = f.requiredString('source');
    const set = qualify(f.requiredString('set'), base.namespace);
    const metaName = base.meta.name;
    return {
      ...serviceBase(f, base, false, [{ field: 'set', id: set, kinds: ['template.set'] }]),
      kind: 'template.jet',
      set,
      source,
      templateName: typeof metaName === 'string' && metaName !== '' ? metaName : base.name,
    };
  },
});
