/**
 * The Jet library against Jet's documented syntax and built-ins (docs/syntax.md, docs/builtins.md) and its
 * error texts, plus the bounds a hostile template meets.
 */
import { TemplateSet, RenderError } from '../../src/lib/jet';
import { Float, type Value } from '../../src/lib/expr/values';

function render(source: string, data: Record<string, unknown> = {}, extra: Record<string, string> = {}, set = new TemplateSet()): string {
  set.set('t', source);
  for (const [k, v] of Object.entries(extra)) set.set(k, v);
  return set.render('t', new Map(Object.entries(data) as [string, Value][]));
}

function failure(source: string, data: Record<string, unknown> = {}, extra: Record<string, string> = {}, set = new TemplateSet()): string {
  try {
    render(source, data, extra, set);
  } catch (e) {
    if (e instanceof RenderError) return `${e.failure}: ${e.message}`;
    throw e;
  }
  return 'no error';
}

const users = new Map<string, Value>([
  ['4243', new Map<string, Value>([['name', 'Peter'], ['email', 'peter@aol.com']])],
  ['4534', new Map<string, Value>([['name', 'Bob'], ['email', 'bob@yahoo.com']])],
]);

describe('text, actions and escaping', () => {
  test.each([
    ['plain text {stays} as is', {}, 'plain text {stays} as is'],
    ['Hello, {{ name }}!', { name: 'World' }, 'Hello, World!'],
    ['{{ name }}', { name: '<b>"x" & \'y\'</b>' }, '&lt;b&gt;&#34;x&#34; &amp; &#39;y&#39;&lt;/b&gt;'],
    ['{{ name | raw }}', { name: '<b>' }, '<b>'],
    ['{{ raw: name }}', { name: '<b>' }, '<b>'],
    ['{{ unsafe(name) }}', { name: '<b>' }, '<b>'],
    ['{{ name | upper | raw }}', { name: '<b>' }, '<B>'],
    ['{{ name | safeHtml }}', { name: '<b>' }, '&lt;b&gt;'],
    ['{{ name | safeJs }}', { name: `it's "<x>"=1` }, `it\\'s \\"\\u003Cx\\u003E\\"\\u003D1`],
    ['{{ html(name) }}', { name: '<b>' }, '&amp;lt;b&amp;gt;'],
    ['{{ url(name) }}', { name: 'a b&c/d' }, 'a+b%26c%2Fd'],
    ['{{ nil }}|{{ true }}|{{ false }}', {}, '|true|false'],
    ['{* a comment {{ with }} actions *}x', {}, 'x'],
    ['foo {{- "bar" -}} baz', {}, 'foobarbaz'],
    ['a  \n {{- "b" }}', {}, 'ab'],
    ['{{ "b" -}} \n  c', {}, 'bc'],
  ])('%s', (src, data, want) => expect(render(src, data)).toBe(want));
});

describe('expressions', () => {
  test.each([
    ['{{ 1 + 2 * 3 - 4 }}', {}, '3'],
    ['{{ (1 + 2) * 3 - 4.1 }}', {}, '4.9'],
    ['{{ 10 / 4 }}', {}, '2.5'],
    ['{{ 7 % 3 }}', {}, '1'],
    ['{{ -5 + 2 }}', {}, '-3'],
    ['{{ 1000000 * 1000000 }}', {}, '1000000000000'],
    ['{{ price * qty }}', { price: 2.5, qty: new Float(4) }, '10'],
    ['{{ "HELLO" + " " + "WORLD!" }}', {}, 'HELLO WORLD!'],
    ['{{ "n=" + 5 }}', {}, 'n=5'],
    ['{{ 1 < 2 }} {{ 2 <= 1 }} {{ 3 == 3.0 }} {{ "a" != "b" }}', {}, 'true false true true'],
    ['{{ true && false || true }}', {}, 'true'],
    ['{{ !flag }}', { flag: true }, 'false'],
    ['{{ flag ? "yes" : "no" }}', { flag: '' }, 'no'],
    ['{{ items ? "set" : "empty" }}', { items: [] }, 'set'],
    ["{{ 'a' }}", {}, '97'],
    ['{{ s := "helloworld" }}{{ s[1] }}', {}, '101'],
    ['{{ s := slice("foo", "bar", "asd") }}{{ s[0] }} {{ i := 2 }}{{ s[i] }}', {}, 'foo asd'],
    ['{{ m := map("foo", 123, "bar", 456) }}{{ m["foo"] }} {{ m.bar }}', {}, '123 456'],
    ['{{ s := slice(6, 7, 8, 9, 10, 11) }}{{ s[1:4] }}', {}, '[7 8 9]'],
    ['{{ user.name }}', { user: new Map([['name', 'Ann']]) }, 'Ann'],
    ['{{ user.missing }}', { user: new Map([['name', 'Ann']]) }, ''],
    ['{{ foo := "bar" }}{{ foo = "asd" }}{{ foo }}', {}, 'asd'],
    ['{{ foo := 1 }}{{ foo = 4711 }}{{ foo }}', {}, '4711'],
    ['{{ _ := len("x") }}done', {}, 'done'],
    ['{{ a, b := 1, 2 }}{{ a + b }}', {}, '3'],
    ['{{ m := map("k", 1) }}{{ v, ok := m["k"] }}{{ v }} {{ ok }}', {}, '1 true'],
    ['{{ list }}', { list: ['a', 'b'] }, '[a b]'],
    ['{{ 1e6 }} {{ 0.000001 }}', {}, '1000000 0.000001'],
  ])('%s', (src, data, want) => expect(render(src, data)).toBe(want));
});

describe('functions and pipelines', () => {
  test.each([
    ['{{ len(s) }}', { s: 'héllo' }, '6'],
    ['{{ len: s }}', { s: [1, 2, 3] }, '3'],
    ['{{ "123" | len }}', {}, '3'],
    ['{{ "FOO" | lower | len }}', {}, '3'],
    ['{{ "hello" | repeat: 2 | len }}', {}, '10'],
    ['{{ "hello" | repeat(2) | len }}', {}, '10'],
    ['{{ 2 | repeat("foo", _) }}', {}, 'foofoo'],
    ['{{ 2 | repeat("foo", _) | repeat(_, 3) }}', {}, 'foofoofoofoofoofoo'],
    ['{{ 2 | repeat: "foo", _ | repeat: 3 }}', {}, 'foofoofoofoofoofoo'],
    ['{{ upper("abc") }}{{ lower("DEF") }}', {}, 'ABCdef'],
    ['{{ hasPrefix("foobar", "foo") }} {{ hasSuffix("foobar", "baz") }}', {}, 'true false'],
    ['{{ replace("a-b-c", "-", "+", -1) }}', {}, 'a+b+c'],
    ['{{ split("a,b", ",") }}', {}, '[a b]'],
    ['[{{ trimSpace("  x  ") }}]', {}, '[x]'],
    ['{{ json(m) }}', { m: new Map<string, Value>([['a', 1], ['b', '<']]) }, '{&#34;a&#34;:1,&#34;b&#34;:&#34;\\u003c&#34;}'],
    ['{{ writeJson(m) }}', { m: new Map<string, Value>([['a', 1]]) }, '{"a":1}\n'],
    ['{{ isset(a) }} {{ isset(b) }} {{ isset(m.x) }} {{ isset(m.y) }}', { a: 1, m: new Map([['x', 1]]) }, 'true false true false'],
  ])('%s', (src, data, want) => expect(render(src, data)).toBe(want));
});

describe('control structures', () => {
  test.each([
    ['{{ if foo == "asd" }}A{{ end }}', { foo: 'asd' }, 'A'],
    ['{{ if foo == "asd" }}A{{ else }}B{{ end }}', { foo: 'x' }, 'B'],
    ['{{ if foo == "asd" }}A{{ else if foo == 4711 }}B{{ else }}C{{ end }}', { foo: 4711 }, 'B'],
    ['{{ if x := 5; x > 3 }}big {{ x }}{{ end }}', {}, 'big 5'],
    ['{{ range s }}{{ . }},{{ end }}', { s: ['a', 'b'] }, 'a,b,'],
    ['{{ range i := s }}{{ i }}:{{ . }} {{ end }}', { s: ['a', 'b'] }, '0:a 1:b '],
    ['{{ range i, v := s }}{{ i }}={{ v }};{{ end }}', { s: ['x', 'y'] }, '0=x;1=y;'],
    ['{{ range k, v := m }}{{ k }}={{ v }};{{ end }}', { m: new Map<string, Value>([['b', 2], ['a', 1]]) }, 'a=1;b=2;'],
    ['{{ range s }}{{ . }}{{ else }}No results{{ end }}', { s: [] }, 'No results'],
    ['{{ range i := ints(0, 3) }}{{ i }}{{ end }}', {}, '012'],
    ['{{ range users }}<{{ .name }}>{{ end }}', { users }, '<Peter><Bob>'],
    ['{{ try }}ok {{ foo }}{{ end }}after', {}, 'after'],
    ['{{ try }}{{ foo }}{{ catch }}fallback{{ end }}', {}, 'fallback'],
    ['{{ try }}{{ foo }}{{ catch err }}{{ err.Error() }}{{ end }}', {}, 'Jet Runtime Error (&#34;/t&#34;:1): identifier &#34;foo&#34; not available in current (map[]) or parent scope, global, or default variables'],
  ])('%s', (src, data, want) => expect(render(src, data)).toBe(want));
});

describe('templates and blocks', () => {
  test('include with the current context, a given one, and relative paths', () => {
    const user = '<div class="user">{{ .["name"] }}: {{ .["email"] }}</div>';
    expect(render('{{ range users }}{{ include "./user.jet" }}{{ end }}', { users }, { 'user.jet': user })).toBe(
      '<div class="user">Peter: peter@aol.com</div><div class="user">Bob: bob@yahoo.com</div>',
    );
    expect(render('{{ include "partials/hi" name }}', { name: 'Ann' }, { 'partials/hi': '{{ include "inner" }}', 'partials/inner': 'hi {{ . }}' })).toBe('hi Ann');
  });

  test('return and exec', () => {
    expect(render('{{ foo := exec("./foo.jet") }}Hello, {{ foo }}!', {}, { 'foo.jet': '{{ f := "f" }}{{ o := "o" }}{{ return f+o+o }}' })).toBe('Hello, foo!');
  });

  test('blocks run where defined, yield with parameters, defaults and context', () => {
    expect(render('{{block copyright()}}<div>© ACME</div>{{end}}|{{yield copyright()}}')).toBe('<div>© ACME</div>|<div>© ACME</div>');
    const field =
      '{{ block input(type="text", label, id, value="", required=false) }}<input type="{{ type }}" id="{{ id }}" value="{{ value }}" {{ required ? "required" : "" }}/>{{ end }}';
    expect(render(`{{ import "fields" }}{{ yield input(id="fn", label="First", required=true) }}`, {}, { fields: field })).toBe(
      '<input type="text" id="fn" value="" required/>',
    );
    expect(render('{{ block buff() }}<b>{{ . }}</b>{{ end }}{{ yield buff() "Batman" }}')).toBe('<b></b><b>Batman</b>');
  });

  test('content blocks', () => {
    const link = '{{ block link(target) }}<a href="{{ target }}">{{ yield content }}</a>{{ end }}';
    expect(render('{{ import "link" }}{{ yield link(target="https://x.io") content }}Example{{ end }}', {}, { link })).toBe('<a href="https://x.io">Example</a>');
    // A block runs where it is defined, with its own parameters: one without a default cannot be given.
    expect(failure(link)).toBe(`render: Jet Runtime Error ("/t":1): missing name for block parameter 'target'`);
    expect(render('{{ name := "Sarah" }}{{ block header() }}<h>{{ yield content }}</h>{{ content }}Hey {{ name }}!{{ end }}')).toBe('<h>Hey Sarah!</h>');
  });

  test('recursive blocks', () => {
    const menu = new Map<string, Value>([
      ['Text', 'a'],
      ['Children', [new Map<string, Value>([['Text', 'b'], ['Children', []]])]],
    ]);
    expect(
      render('{{ import "m" }}{{ yield menu() items }}', { items: [menu] }, { m: '{{ block menu() }}<ul>{{ range . }}<li>{{ .Text }}{{ if len(.Children) }}{{ yield menu() .Children }}{{ end }}</li>{{ end }}</ul>{{ end }}' }),
    ).toBe('<ul><li>a<ul><li>b</li></ul></li></ul>');
  });

  test('extends: the child runs the parent with its blocks; content outside blocks is dropped', () => {
    const layout = '<html>{{ yield body() }}|{{ block footer() }}default footer{{ end }}</html>';
    expect(render('{{ extends "layout" }}{{ block body() }}<main>hi</main>{{ end }}never rendered', {}, { layout })).toBe('<html><main>hi</main>|default footer</html>');
    expect(render('{{ extends "layout" }}{{ block body() }}b{{ end }}{{ block footer() }}custom{{ end }}', {}, { layout })).toBe('<html>b|custom</html>');
  });

  test('custom delimiters and globals', () => {
    const set = new TemplateSet({ delimiters: { left: '[[', right: ']]' }, globals: new Map([['site', 'S']]) });
    expect(render('[[ site ]] {{ not an action }} [[ 1 + 1 ]]', {}, {}, set)).toBe('S {{ not an action }} 2');
  });

  test('extensions are tried after a name', () => {
    expect(render('{{ include "part" }}', {}, { 'part.jet': 'P' })).toBe('P');
  });
});

describe('errors', () => {
  test.each([
    ['{{ foo }}', {}, 'render: Jet Runtime Error ("/t":1): identifier "foo" not available in current (map[]) or parent scope, global, or default variables'],
    ['line1\n{{ 1 +', {}, 'parse: template: /t:2: unclosed action'],
    ['{{ if true }}x', {}, 'parse: template: /t:1: unexpected EOF'],
    ['{{ end }}', {}, 'parse: template: /t:1: unexpected {{end}}'],
    ['{* open', {}, "parse: template: /t:1: parsing input: unexpected token 'unclosed comment' (expected text or action)"],
    ['x{{ extends "a" }}', {}, "parse: template: /t:1: parsing command: unexpected keyword 'extends' ('extends' statements must be at the beginning of the template)"],
    ['{{ "a" - "b" }}', {}, 'render: Jet Runtime Error ("/t":1): minus signal is not allowed with strings'],
    ['{{ 1 / 0 }}', {}, 'render: Jet Runtime Error ("/t":1): division by zero'],
    ['{{ yield missing() }}', {}, 'render: Jet Runtime Error ("/t":1): unresolved block "missing"!'],
    ['{{ include "nope" }}', {}, 'render: Jet Runtime Error ("/t":1): template /nope could not be found'],
    ['{{ range 5 }}{{ end }}', {}, 'render: Jet Runtime Error ("/t":1): value 5 (type float64) is not rangeable'],
    ['{{ s := slice(1) }}{{ s[3] }}', {}, 'render: Jet Runtime Error ("/t":1): index out of range: 3'],
    ['{{ upper("a", "b") }}', {}, 'render: Jet Runtime Error ("/t":1): call expression: func(string) string needs 1 arguments, but have 2'],
    ['{{ len(5) }}', {}, 'render: len(): invalid value type float64'],
    ['{{ x := 1 }}{{ x(2) }}', {}, 'render: Jet Runtime Error ("/t":1): command "2" has arguments but is float64, not a function'],
    ['{{ x := 1 }}{{ 1 + x(2) }}', {}, 'render: Jet Runtime Error ("/t":1): node "x" is not func kind "float64"'],
    ['{{ y = 1 }}', {}, 'render: Jet Runtime Error ("/t":1): could not assign "y" = 1 because variable "y" is uninitialised'],
  ])('%j', (src, data, want) => expect(failure(src, data)).toBe(want));

  test('a missing template is not_found', () => {
    const set = new TemplateSet();
    expect(() => set.render('nope', new Map())).toThrow(new RenderError('not_found', 'template not found'));
  });
});

describe('bounds (hostile templates)', () => {
  test('a template including itself stops at the include depth', () => {
    expect(failure('x{{ include "t" }}')).toMatch(/maximum 'include' depth \(100\) exceeded/);
  });

  test('a block yielding itself stops at the yield depth', () => {
    expect(failure('{{ block loop() }}{{ yield loop() }}{{ end }}')).toMatch(/maximum 'yield' depth \(100\) exceeded/);
  });

  test('templates extending each other are refused while parsing', () => {
    expect(failure('{{ extends "a" }}', {}, { a: '{{ extends "b" }}', b: '{{ extends "a" }}' })).toMatch(/circular extends\/import: \/t -> \/a -> \/b -> \/a/);
    expect(failure('{{ import "t" }}')).toMatch(/circular extends\/import/);
  });

  test('huge output ends with a clear error', () => {
    const set = new TemplateSet({ limits: { maxOutput: 100_000 } });
    expect(failure('{{ range ints(0, 1000000000) }}0123456789{{ end }}', {}, {}, set)).toMatch(/template output too large \(more than 100000 characters\)/);
    expect(failure('{{ repeat("x", 200000) }}', {}, {}, set)).toMatch(/string too long/);
  });

  test('endless work ends with the step budget', () => {
    const set = new TemplateSet({ limits: { maxSteps: 100_000 } });
    expect(failure('{{ range ints(0, 1000000000) }}{{ end }}', {}, {}, set)).toMatch(/exceeded its step budget \(100000 steps\)/);
  });

  test('a try block does not swallow a bound', () => {
    expect(failure('{{ try }}{{ include "t" }}{{ catch }}caught{{ end }}')).toMatch(/maximum 'include' depth/);
  });

  test('deep nesting is refused while parsing, not by a stack overflow', () => {
    expect(failure('{{ if true }}'.repeat(5000) + '{{ end }}'.repeat(5000))).toMatch(/nested too deep/);
    expect(failure('{{ ' + '('.repeat(5000) + '1' + ')'.repeat(5000) + ' }}')).toMatch(/nested too deep/);
  });
});
