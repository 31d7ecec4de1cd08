/**
 * text through real Lua: Go's regexp semantics (byte offsets on UTF-8, successive empty matches, Split,
 * $-templates), linear-time matching of a pattern that makes backtracking engines explode, diff and patch,
 * and the splitters' chunk sizes and overlap.
 */
import { runWith } from './run-lua';

const text = (body: string): Promise<unknown> => runWith(['text'], `local text = require("text")\n${body}`);

describe('text.regexp', () => {
  test("Go's rules: byte offsets, empty matches after a match skipped, Split, templates", async () => {
    const r = await text(`
      local re = function(p) return assert(text.regexp.compile(p)) end
      return {
        idx = re("é+"):find_string_index("aéé b"),
        all_empty = re("a*"):find_all_string("baaac"),
        split = re("a*"):split("baaac"),
        split_n = re(","):split("a,b,c", 2),
        split_none = re(","):split("a,b", 0),
        split_empty = re(","):split(""),
        repl = re("(?P<word>[a-z]+) (\\\\d+)"):replace_all_string("ab 12, cd 34", "\${2}-$word-$$-$9-$x"),
        sub = re("(a)|(b)"):find_string_submatch("b"),
        no_match = re("z"):find_all_string_index("abc") == nil,
        names = re("(?P<first>a)(b)"):subexp_names(),
      }`);
    expect(r).toEqual({
      idx: [2, 5],
      all_empty: ['', 'aaa', ''],
      split: ['b', 'c'],
      split_n: ['a', 'b,c'],
      split_none: {}, // an empty table
      split_empty: [''],
      repl: '12-ab-$--, 34-cd-$--',
      sub: ['b', '', 'b'],
      no_match: true,
      names: ['', 'first', ''],
    });
  });

  test('a pattern that takes exponential time in a backtracking engine runs in linear time', async () => {
    const t0 = Date.now();
    const r = await text(`
      local re = assert(text.regexp.compile("^(a+)+$"))
      return { re:match_string(string.rep("a", 100000) .. "b"), #re:find_all_string(string.rep("ab", 200000)) }`);
    expect(r).toEqual([false, 0]);
    expect(Date.now() - t0).toBeLessThan(20_000); // a backtracking engine would not finish at all
  });

  test('syntax errors are Invalid with Go\'s message', async () => {
    const r = await text(`local _, err = text.regexp.compile("a(b") return { err:kind(), err:message(), err:retryable() }`);
    expect(r).toEqual(['Invalid', 'error parsing regexp: missing closing ): `a(b`', false]);
  });
});

describe('text.diff and text.splitter', () => {
  test('diff, summarize, patches round trip', async () => {
    const r = await text(`
      local d = assert(text.diff.new({ diff_timeout = 0 }))
      local diffs = d:compare("hello world", "hello there")
      local ops = {} for _, x in ipairs(diffs) do ops[#ops + 1] = x.operation .. ":" .. x.text end
      local patches = d:patch_make("The quick brown fox", "The quick red fox")
      local out, ok = d:patch_apply(patches, "The quick brown fox")
      return { ops = ops, sum = d:summarize(diffs), out = out, ok = ok, html = d:pretty_html({ { operation = "insert", text = "<a>\\n" } }) }`);
    expect(r).toEqual({
      ops: ['equal:hello ', 'delete:wo', 'insert:the', 'equal:r', 'delete:ld', 'insert:e'],
      sum: { insertions: 4, deletions: 4, equals: 7 },
      out: 'The quick red fox',
      ok: true,
      html: '<ins style="background:#e6ffe6;">&lt;a&gt;&para;<br></ins>',
    });
  });

  test('recursive chunks stay within chunk_size and overlap; markdown chunks carry their headings', async () => {
    const r = (await text(`
      local words = {} for i = 1, 200 do words[i] = "word" .. i end
      local s = assert(text.splitter.recursive({ chunk_size = 100, chunk_overlap = 20 }))
      local chunks = s:split_text(table.concat(words, " "))
      local longest = 0 for _, c in ipairs(chunks) do longest = math.max(longest, #c) end
      local md = assert(text.splitter.markdown({ chunk_size = 60, heading_hierarchy = true, code_blocks = true }))
      local mchunks = md:split_text("# Top\\n\\nintro text\\n\\n## Part\\n\\n\`\`\`\\n# not a heading\\n\`\`\`\\n\\nbody of the part")
      local batch = s:split_batch({ { content = "a b c", metadata = { page = 1 } }, { content = "" } })
      return { n = #chunks, longest = longest, first = chunks[1], second = chunks[2], md = mchunks, batch = batch }`)) as Record<string, unknown>;
    expect(r.longest as number).toBeLessThanOrEqual(100);
    const first = (r.first as string).split(' ');
    const second = (r.second as string).split(' ');
    expect(second[0]).not.toBe(first[0]);
    expect(first).toContain(second[0]); // the overlap: the second chunk starts inside the first
    expect(r.md).toEqual(['# Top\nintro text', '# Top\n## Part\n```\n# not a heading\n```', '# Top\n## Part\nbody of the part']);
    expect(r.batch).toEqual([{ content: 'a b c', metadata: { page: 1 } }]);
  });
});
