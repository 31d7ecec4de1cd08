/**
 * HTML sanitising policies in the model of Go's bluemonday, which Wippy's `html` module exposes: allowed
 * elements, attributes per element or global (each optionally checked by an RE2 pattern), URL rules and link
 * attributes, and the UGC and strict presets. `HtmlPolicy` builds a policy as plain data; `sanitizeJob`
 * applies it with sanitize-html (htmlparser2) deciding per tag what bluemonday would keep. sanitize-html
 * takes about a second per megabyte and longer on deep nesting, so `sanitize` runs all but small inputs in a
 * worker thread with a time and memory bound (src/lib/off-thread.ts). Differences: src/modules/html/spec.md.
 */
import { RE2JS } from 're2js';
import { compileRegex } from './expr/regex';
import { OffThread, OffThreadError } from './off-thread';

/** One way an attribute may be kept: always (null) or when its value matches the RE2 pattern. */
type AttrRule = string | null;
type AttrRules = Map<string, AttrRule[]>;

/** A policy as plain data, as it crosses to the worker. */
export interface PolicyData {
  readonly elements: [string, [string, AttrRule[]][]][];
  readonly global: [string, AttrRule[]][];
  readonly withoutAttrs: string[];
  readonly requireParseable: boolean;
  readonly allowRelative: boolean;
  readonly schemes: string[];
  readonly dataImages: boolean;
  readonly noFollow: boolean;
  readonly noReferrer: boolean;
  readonly targetBlank: boolean;
}

/** bluemonday's addDefaultElementsWithoutAttrs: elements kept even when none of their attributes survive. */
const WITHOUT_ATTRS = new Set(
  ('abbr acronym address article aside audio b bdi blockquote body br button canvas caption center cite code col colgroup datalist ' +
    'dd del details dfn div dl dt em fieldset figcaption figure footer h1 h2 h3 h4 h5 h6 head header hgroup hr html i ins kbd li mark ' +
    'marquee nav ol optgroup option p picture pre q rp rt ruby s samp script section select small span strike strong style sub summary ' +
    'sup svg table tbody td textarea tfoot th thead title time tr tt u ul var video wbr').split(' '),
);

/** bluemonday's pattern helpers (helpers.go). */
const re = (pattern: string): string => pattern;
const P = {
  cellAlign: re('(?i)^(center|justify|left|right|char)$'),
  cellVerticalAlign: re('(?i)^(baseline|bottom|middle|top)$'),
  direction: re('(?i)^(rtl|ltr)$'),
  imageAlign: re('(?i)^(left|right|top|texttop|middle|absmiddle|baseline|bottom|absbottom)$'),
  integer: re('^[0-9]+$'),
  iso8601: re('^[0-9]{4}(-[0-9]{2}(-[0-9]{2}([ T][0-9]{2}(:[0-9]{2}){1,2}(.[0-9]{1,6})?Z?([\\+-][0-9]{2}:[0-9]{2})?)?)?)?$'),
  listType: re('(?i)^(circle|disc|square|a|A|i|I|1)$'),
  spaceSeparatedTokens: re('^([\\s\\p{L}\\p{N}_-]+)$'),
  number: re('^[-+]?[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?$'),
  numberOrPercent: re('^[0-9]+[%]?$'),
  paragraph: re("^[\\p{L}\\p{N}\\s\\-_',\\[\\]!\\./\\\\\\(\\)]*$"),
};

export class HtmlPolicy {
  private readonly elements = new Map<string, AttrRules>();
  private readonly global: AttrRules = new Map();
  private readonly withoutAttrs = new Set(WITHOUT_ATTRS);
  private requireParseable = false;
  private allowRelative = false;
  private readonly schemes = new Set<string>();
  private dataImages = false;
  private noFollow = false;
  private noReferrer = false;
  private targetBlank = false;

  allowElements(...names: string[]): this {
    for (const n of names) this.rulesOf(n.toLowerCase());
    return this;
  }

  /** Attributes allowed on `elements` (which become allowed too), when their value matches `pattern`. */
  allowAttrsOn(attrs: readonly string[], pattern: AttrRule, elements: readonly string[]): this {
    for (const e of elements.map((x) => x.toLowerCase())) {
      const rules = this.rulesOf(e);
      for (const a of attrs) push(rules, a, pattern);
    }
    return this;
  }

  allowAttrsGlobally(attrs: readonly string[], pattern: AttrRule): this {
    for (const a of attrs) push(this.global, a, pattern);
    return this;
  }

  allowStandardUrls(): this {
    this.requireParseable = true;
    this.allowRelative = true;
    for (const s of ['mailto', 'http', 'https']) this.schemes.add(s);
    this.noFollow = true;
    return this;
  }

  requireParseableUrls(on: boolean): this {
    this.requireParseable = on;
    return this;
  }

  allowRelativeUrls(on: boolean): this {
    this.allowRelative = on;
    return this;
  }

  allowUrlSchemes(...schemes: string[]): this {
    for (const s of schemes) this.schemes.add(s);
    return this;
  }

  requireNoFollowOnLinks(on: boolean): this {
    this.noFollow = on;
    return this;
  }

  requireNoReferrerOnLinks(on: boolean): this {
    this.noReferrer = on;
    return this;
  }

  addTargetBlankToFullyQualifiedLinks(on: boolean): this {
    this.targetBlank = on;
    return this;
  }

  /** `data:` URLs of base64 images (gif, jpeg, png, svg, webp) whose payload decodes. */
  allowDataUriImages(): this {
    this.requireParseable = true;
    this.dataImages = true;
    return this;
  }

  allowStandardAttributes(): this {
    this.allowAttrsGlobally(['dir'], P.direction);
    this.allowAttrsGlobally(['lang'], re('[a-zA-Z]{2,20}'));
    this.allowAttrsGlobally(['id'], re('[a-zA-Z0-9\\:\\-_\\.]+'));
    return this.allowAttrsGlobally(['title'], P.paragraph);
  }

  allowImages(): this {
    this.allowAttrsOn(['align'], P.imageAlign, ['img']);
    this.allowAttrsOn(['alt'], P.paragraph, ['img']);
    this.allowAttrsOn(['height', 'width'], P.numberOrPercent, ['img']);
    this.allowStandardUrls();
    return this.allowAttrsOn(['src'], null, ['img']);
  }

  allowLists(): this {
    this.allowAttrsOn(['type'], P.listType, ['ol', 'ul']);
    this.allowAttrsOn(['type'], P.listType, ['li']);
    this.allowAttrsOn(['value'], P.integer, ['li']);
    return this.allowElements('dl', 'dt', 'dd');
  }

  allowTables(): this {
    this.allowAttrsOn(['height', 'width'], P.numberOrPercent, ['table']);
    this.allowAttrsOn(['summary'], P.paragraph, ['table']);
    this.allowElements('caption');
    this.allowAttrsOn(['align'], P.cellAlign, ['col', 'colgroup']);
    this.allowAttrsOn(['height', 'width'], P.numberOrPercent, ['col', 'colgroup']);
    this.allowAttrsOn(['span'], P.integer, ['colgroup', 'col']);
    this.allowAttrsOn(['valign'], P.cellVerticalAlign, ['col', 'colgroup']);
    this.allowAttrsOn(['align'], P.cellAlign, ['thead', 'tr']);
    this.allowAttrsOn(['valign'], P.cellVerticalAlign, ['thead', 'tr']);
    this.allowAttrsOn(['abbr'], P.paragraph, ['td', 'th']);
    this.allowAttrsOn(['align'], P.cellAlign, ['td', 'th']);
    this.allowAttrsOn(['colspan', 'rowspan'], P.integer, ['td', 'th']);
    this.allowAttrsOn(['headers'], P.spaceSeparatedTokens, ['td', 'th']);
    this.allowAttrsOn(['height', 'width'], P.numberOrPercent, ['td', 'th']);
    this.allowAttrsOn(['scope'], re('(?i)(?:row|col)(?:group)?'), ['td', 'th']);
    this.allowAttrsOn(['valign'], P.cellVerticalAlign, ['td', 'th']);
    this.allowAttrsOn(['nowrap'], re('(?i)|nowrap'), ['td', 'th']);
    this.allowAttrsOn(['align'], P.cellAlign, ['tbody', 'tfoot']);
    return this.allowAttrsOn(['valign'], P.cellVerticalAlign, ['tbody', 'tfoot']);
  }

  data(): PolicyData {
    const rules = (m: AttrRules): [string, AttrRule[]][] => [...m].map(([k, v]) => [k, [...v]]);
    return {
      elements: [...this.elements].map(([tag, attrs]) => [tag, rules(attrs)]),
      global: rules(this.global),
      withoutAttrs: [...this.withoutAttrs],
      requireParseable: this.requireParseable,
      allowRelative: this.allowRelative,
      schemes: [...this.schemes],
      dataImages: this.dataImages,
      noFollow: this.noFollow,
      noReferrer: this.noReferrer,
      targetBlank: this.targetBlank,
    };
  }

  private rulesOf(element: string): AttrRules {
    let rules = this.elements.get(element);
    if (rules === undefined) this.elements.set(element, (rules = new Map()));
    return rules;
  }

  /** bluemonday's UGCPolicy: what user-generated content may keep. */
  static ugc(): HtmlPolicy {
    const p = new HtmlPolicy();
    p.allowStandardAttributes();
    p.allowStandardUrls();
    p.allowElements('article', 'aside');
    p.allowAttrsOn(['open'], re('(?i)^(|open)$'), ['details']);
    p.allowElements('figure', 'section', 'summary', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hgroup');
    p.allowAttrsOn(['cite'], null, ['blockquote']);
    p.allowElements('br', 'div', 'hr', 'p', 'span', 'wbr');
    p.allowAttrsOn(['href'], null, ['a']);
    p.allowAttrsOn(['name'], re('^([\\p{L}\\p{N}_-]+)$'), ['map']);
    p.allowAttrsOn(['alt'], P.paragraph, ['area']);
    p.allowAttrsOn(['coords'], re('^([0-9]+,)+[0-9]+$'), ['area']);
    p.allowAttrsOn(['href'], null, ['area']);
    p.allowAttrsOn(['rel'], P.spaceSeparatedTokens, ['area']);
    p.allowAttrsOn(['shape'], re('(?i)^(default|circle|rect|poly)$'), ['area']);
    p.allowAttrsOn(['usemap'], re('(?i)^#[\\p{L}\\p{N}_-]+$'), ['img']);
    p.allowElements('abbr', 'acronym', 'cite', 'code', 'dfn', 'em', 'figcaption', 'mark', 's', 'samp', 'strong', 'sub', 'sup', 'var');
    p.allowAttrsOn(['cite'], null, ['q']);
    p.allowAttrsOn(['datetime'], P.iso8601, ['time']);
    p.allowElements('b', 'i', 'pre', 'small', 'strike', 'tt', 'u');
    p.allowAttrsOn(['dir'], P.direction, ['bdi', 'bdo']);
    p.allowElements('rp', 'rt', 'ruby');
    p.allowAttrsOn(['cite'], P.paragraph, ['del', 'ins']);
    p.allowAttrsOn(['datetime'], P.iso8601, ['del', 'ins']);
    p.allowLists();
    p.allowTables();
    p.allowAttrsOn(['value', 'min', 'max', 'low', 'high', 'optimum'], P.number, ['meter']);
    p.allowAttrsOn(['value', 'max'], P.number, ['progress']);
    return p.allowImages();
  }
}

function push(rules: AttrRules, attr: string, rule: AttrRule): void {
  const list = rules.get(attr);
  if (list === undefined) rules.set(attr, [rule]);
  else list.push(rule);
}

/** What the sanitising job is given: the policy and the HTML. */
interface SanitizeInput {
  readonly policy: PolicyData;
  readonly html: string;
}

/**
 * Sanitises `input.html` as bluemonday would under `input.policy`, with sanitize-html (`lib.sanitize`) and
 * RE2 (`lib.re2`). Self-contained, so that it can run in a worker from its source text.
 */
export function sanitizeJob(input: SanitizeInput, lib: Record<string, unknown>): string {
  type Attribs = Record<string, string>;
  type Sanitize = (html: string, options: object) => string;
  const loaded = lib.sanitize as Sanitize | { default: Sanitize };
  const { RE2JS } = lib.re2 as { RE2JS: { compile(p: string): { matcher(s: string): { find(): boolean } } } };
  const cache = ((lib.patterns as Map<string, (s: string) => boolean> | undefined) ??= new Map()) as Map<string, (s: string) => boolean>;
  const matches = (pattern: string, value: string): boolean => {
    let test = cache.get(pattern);
    if (test === undefined) {
      const compiled = RE2JS.compile(pattern);
      test = (s) => compiled.matcher(s).find();
      if (cache.size > 256) cache.clear();
      cache.set(pattern, test);
    }
    return test(value);
  };
  const { policy } = input;
  // Never kept even when allowed (bluemonday keeps them only in its unsafe mode, which Wippy does not offer).
  const never = new Set(['script', 'style']);
  // Elements whose content goes with them when they are not allowed (bluemonday's skip list and script, style).
  const skipContent = ['frame', 'frameset', 'iframe', 'noembed', 'noframes', 'noscript', 'nostyle', 'object', 'script', 'style', 'title'];
  // The attribute of each linkable element that holds a URL.
  const urlAttr: Record<string, string> = {
    a: 'href', area: 'href', base: 'href', link: 'href', blockquote: 'cite', del: 'cite', ins: 'cite', q: 'cite',
    audio: 'src', embed: 'src', iframe: 'src', img: 'src', script: 'src', source: 'src', track: 'src', video: 'src',
  };
  const links = new Set(['a', 'area', 'base', 'link']);
  // Marks a tag to leave out while keeping its content (an attribute no policy lets through from the input).
  const drop = 'data-wisp-drop-tag';
  const elements = new Map(policy.elements.map(([tag, attrs]) => [tag, new Map(attrs)]));
  const global = new Map(policy.global);
  const withoutAttrs = new Set(policy.withoutAttrs);
  const schemes = new Set(policy.schemes);
  const allows = (rules: (string | null)[] | undefined, value: string): boolean =>
    rules !== undefined && rules.some((r) => r === null || matches(r, value));

  const dataImage = (url: string): boolean => {
    const body = url.slice(5);
    if (/[?#]/.test(body)) return false;
    const prefix = /^image\/(gif|jpeg|png|svg\+xml|webp);base64,/.exec(body);
    if (prefix === null) return false;
    const payload = body.slice(prefix[0].length);
    return payload.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(payload);
  };

  const validUrl = (raw: string): string | null => {
    let v = raw.trim();
    if (/[ \t\n]/.test(v)) {
      if (!v.startsWith('data:')) return null;
      v = v.replace(/[\r\n]/g, '');
    }
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(v);
    if (scheme === null) return policy.allowRelative && v !== '' ? v : null;
    const name = scheme[1].toLowerCase();
    if (name === 'data' && policy.dataImages) return dataImage(v) ? v : null;
    return schemes.has(name) ? v : null;
  };

  // rel="nofollow"/"noreferrer" and target="_blank" (with noopener) as bluemonday adds them to links.
  const linkAttributes = (tag: string, attrs: [string, string][]): [string, string][] => {
    const href = attrs.find(([k]) => k === 'href');
    if (href === undefined || !(policy.noFollow || policy.noReferrer || policy.targetBlank)) return attrs;
    const external = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]|^\/\/[^/]/.test(href[1]);
    const out = attrs.map(([k, v]): [string, string] => [k, v]);
    const want = [policy.noFollow ? 'nofollow' : '', policy.noReferrer ? 'noreferrer' : ''].filter((x) => x !== '');
    const rel = out.find(([k]) => k === 'rel');
    if (rel !== undefined) {
      for (const w of want) if (!rel[1].includes(w)) rel[1] += ` ${w}`;
    } else if (want.length > 0) {
      out.push(['rel', want.join(' ')]);
    }
    let target = tag === 'a' ? out.find(([k]) => k === 'target') : undefined;
    if (external && policy.targetBlank && tag === 'a') {
      if (target === undefined) out.push((target = ['target', '_blank']));
      else target[1] = '_blank';
    }
    if (target !== undefined && target[1] === '_blank') {
      const r = out.find(([k]) => k === 'rel');
      if (r !== undefined && !r[1].includes('noopener')) r[1] += ' noopener';
    }
    return out;
  };

  // What bluemonday keeps of one start tag: its checked attributes, or no tag at all (its content stays).
  const transform = (tag: string, attribs: Attribs): { tagName: string; attribs: Attribs } => {
    const rules = elements.get(tag);
    if (rules === undefined || never.has(tag)) return { tagName: tag, attribs: {} };
    let kept = Object.entries(attribs).filter(([k, v]) => allows(rules.get(k), v) || allows(global.get(k), v));
    const attr = urlAttr[tag];
    if (attr !== undefined && kept.length > 0) {
      if (policy.requireParseable) {
        kept = kept.flatMap(([k, v]): [string, string][] => {
          if (k !== attr) return [[k, v]];
          const url = validUrl(v);
          return url === null ? [] : [[k, url]];
        });
      }
      if (links.has(tag) && kept.length > 0) kept = linkAttributes(tag, kept);
    }
    if (kept.length === 0 && !withoutAttrs.has(tag)) return { tagName: tag, attribs: { [drop]: '' } };
    return { tagName: tag, attribs: Object.fromEntries(kept) };
  };

  const run = typeof loaded === 'function' ? loaded : loaded.default;
  return run(input.html, {
    allowedTags: [...elements.keys()].filter((t) => !never.has(t)),
    allowedAttributes: false,
    allowedSchemesAppliedToAttributes: [],
    allowVulnerableTags: true,
    nonTextTags: skipContent,
    disallowedTagsMode: 'discard',
    parseStyleAttributes: false,
    transformTags: { '*': transform },
    exclusiveFilter: (frame: { attribs: Attribs }) => (drop in frame.attribs ? 'excludeTag' : false),
  });
}

/** Inputs up to this size are sanitised on the main thread (a few milliseconds); larger ones in the worker. */
export const INLINE_HTML_CHARS = 8 * 1024;

const LIBRARIES = { sanitize: require.resolve('sanitize-html'), re2: require.resolve('re2js') };
// sanitize-html (with htmlparser2 and postcss) is loaded on the main thread only once a document needs it.
let mainLib: Record<string, unknown> | null = null;
const worker = new OffThread<SanitizeInput, string>(sanitizeJob, LIBRARIES, { timeoutMs: 5_000, heapMb: 256, queueBytes: 64 * 1024 * 1024 }, (input) => input.html.length * 2);

/** Sanitises `html` under `policy`: at once for small inputs, else in the worker (bounded in time and memory). */
export function sanitize(policy: PolicyData, html: string): string | Promise<string> {
  if (html.length <= INLINE_HTML_CHARS) {
    mainLib ??= { sanitize: require('sanitize-html') as unknown, re2: { RE2JS } };
    return sanitizeJob({ policy, html }, mainLib);
  }
  return worker.run({ policy, html }).catch((e: unknown) => {
    throw new Error(e instanceof OffThreadError && e.limit !== null ? `sanitizing ${e.message}` : e instanceof Error ? e.message : String(e));
  });
}

/** Go's error text when `pattern` is not an RE2 pattern, else null. */
export function patternError(pattern: string): string | null {
  const r = compileRegex(pattern);
  return typeof r === 'string' ? r : null;
}
