import { runFixture } from '../helpers/lua';

describe("the payload module's Wippy surface", () => {
  let r: Record<string, unknown>;
  beforeAll(async () => {
    r = (await runFixture('engine/payload_rules.lua')) as typeof r;
  });

  test("format constants are Wippy's MIME-style names", () => {
    expect(r.formats).toEqual([
      'json/plain', 'yaml/plain', 'text/plain', 'application/octet-stream', 'application/msgpack', 'lua/any',
      'golang/any', 'golang/error',
    ]);
  });

  test('payload.new(error) is a golang/error payload; tostring(p) is payload{format=...}', () => {
    expect(r.lua).toEqual(['lua/any', 'payload{format=lua/any}', 'lua/any']);
    expect(r.error).toEqual(['golang/error', 'payload{format=golang/error}', 'boom', 'boom']);
    expect(r.transcoded).toBe('payload{format=json/plain}');
  });
});
