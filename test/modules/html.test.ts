/**
 * html through real Lua in a real VM: bluemonday's policies (strict, UGC, built ones with attribute
 * patterns, URL rules and link attributes), and hostile input: a large or deeply nested document is sanitised
 * in a worker thread, bounded in time, while another process keeps running.
 */
import { createVM } from '../../src/modules';
import { bystander, spawn } from '../helpers/lua';
import { valueToPlain } from '../../src/engine/plain';

async function lua(body: string, modules = ['html']): Promise<any> {
  const vm = createVM();
  const r = await spawn(vm, `local html = require("html")\nlocal function main()\n${body}\nend\nreturn { main = main }`, 'test:main', [], modules).exit;
  if (r.error) throw new Error(r.error.stack ?? r.error.message);
  return valueToPlain(r.value);
}

describe('html', () => {
  test('strict and UGC policies as bluemonday has them', async () => {
    const r = await lua(`
      local strict = html.sanitize.strict_policy()
      local ugc = html.sanitize.ugc_policy()
      return {
        strict = strict:sanitize('<p>Hello <script>alert("xss")</script> world</p><iframe>x</iframe><style>p{}</style>'),
        link = ugc:sanitize('<a href="https://example.com" onclick="x()">link</a>'),
        js = ugc:sanitize('<a href="javascript:alert(1)">x</a>'),
        rel = ugc:sanitize('<a href="/page" rel="me">r</a>'),
        attrs = ugc:sanitize('<p class="x" title="a title" id="a1" lang="en">t &amp; <b>b</b></p>'),
        img = ugc:sanitize('<img src="x.png" alt="ok" width="10%" height="x" onerror="e()">'),
        table = ugc:sanitize('<table><tr><td colspan="2" rowspan="x">c</td></tr></table>'),
        list = ugc:sanitize('<ol type="a"><li value="3">i</li></ol>'),
      }`);
    expect(r.strict).toBe('Hello  world');
    expect(r.link).toBe('<a href="https://example.com" rel="nofollow">link</a>');
    expect(r.js).toBe('x'); // the href is refused, and an <a> with no attributes left is dropped
    expect(r.rel).toBe('<a href="/page" rel="nofollow">r</a>'); // UGC does not allow rel on a
    expect(r.attrs).toBe('<p title="a title" id="a1" lang="en">t &amp; <b>b</b></p>');
    expect(r.img).toBe('<img src="x.png" alt="ok" width="10%" />');
    expect(r.table).toBe('<table><tr><td colspan="2">c</td></tr></table>');
    expect(r.list).toBe('<ol type="a"><li value="3">i</li></ol>');
  });

  test('built policies: elements, attributes on elements or global, patterns, URLs and link attributes', async () => {
    const r = await lua(`
      local p = html.sanitize.new_policy()
      p:allow_elements("p", "a", "img")
      p:allow_attrs("href"):on_elements("a")
      local b, err = p:allow_attrs("class"):matching("^[a-z]+$")
      b:globally()
      local _, bad = p:allow_attrs("x"):matching("[invalid")
      local unchecked = p:sanitize('<a href="javascript:x()">a</a><p class="ok">1</p><p class="NO">2</p>')
      p:allow_standard_urls():allow_url_schemes("https"):require_noreferrer_on_links(true):add_target_blank_to_fully_qualified_links(true)
      p:allow_attrs("src"):on_elements("img")
      local checked = p:sanitize('<a href="javascript:x()">a</a><a href="https://x.org/">b</a><a href="ftp://x">c</a>')
      local data = p:sanitize('<img src="data:image/png;base64,iVBORw0KGgo=">')
      p:allow_data_uri_images()
      local data_ok = p:sanitize('<img src="data:image/png;base64,iVBORw0KGgo=">')
      return { unchecked = unchecked, checked = checked, data = data, data_ok = data_ok, err = err,
               bad = { kind = bad:kind(), retryable = bad:retryable(), message = bad:message() }, same = b:globally() == p }`);
    expect(r.unchecked).toBe('<a href="javascript:x()">a</a><p class="ok">1</p><p>2</p>'); // no URL rules yet: as bluemonday
    expect(r.checked).toBe('a<a href="https://x.org/" rel="nofollow noreferrer noopener" target="_blank">b</a>c');
    expect(r.data).toBe('');
    expect(r.data_ok).toBe('<img src="data:image/png;base64,iVBORw0KGgo=" />');
    expect(r.err).toBeUndefined();
    expect(r.bad).toMatchObject({ kind: 'Invalid', retryable: false });
    expect(r.same).toBe(true);
  });

  test('argument errors and the input bound', async () => {
    await expect(lua('return html.sanitize.new_policy():sanitize(42)')).rejects.toThrow(/bad argument #1 to 'sanitize' \(string expected/);
    await expect(lua('local p = html.sanitize.new_policy() return p.sanitize({}, "x")')).rejects.toThrow(/expected html.Policy/);
    const r = await lua(`local _, err = html.sanitize.new_policy():sanitize(string.rep("a", 16 * 1024 * 1024 + 1)) return err:message()`);
    expect(r).toBe('html input too large (max 16777216 bytes)');
  });

  test('a hostile document ends with a clear error within the bound, and other processes keep running', async () => {
    const vm = createVM();
    const hostile = spawn(vm, `
      local html = require("html")
      return { main = function()
        local clean, err = html.sanitize.ugc_policy():sanitize(string.rep("<div>", 400000) .. "x")
        local ok = html.sanitize.ugc_policy():sanitize(string.rep("<b>fine</b>", 2000))
        return { clean = clean, err = err and err:message(), kind = err and err:kind(), after = #ok }
      end }`, 'test:hostile', [], ['html']);
    const ticker = bystander(vm, 100, '20ms');
    const started = Date.now();
    const ticks = await ticker.exit;
    expect(valueToPlain(ticks.value)).toBe(100);
    expect(Date.now() - started).toBeLessThan(4500); // 100 sleeps of 20 ms while the sanitizer works elsewhere
    const r = valueToPlain((await hostile.exit).value) as Record<string, unknown>;
    expect(r).toEqual({ err: 'sanitizing took longer than 5000 ms', kind: 'Internal', after: 22000 });
    expect(Date.now() - started).toBeLessThan(9000);
  }, 20000);
});
