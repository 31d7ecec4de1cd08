/**
 * scripts/fengari-patches/10-string-hash.js: string table keys are told apart by all their bytes (Fengari's own
 * hash gave "\1\17" and "\17\1" the same slot, so one key overwrote the other).
 */
import { run } from '../helpers/lua';

describe('string table keys', () => {
  test('keys whose bytes in unpadded hex read the same stay apart', async () => {
    const r = await run(`return { main = function()
      local t = {}
      t["\\1\\17"] = "a"; t["\\17\\1"] = "b"; t["\\1\\1\\1"] = "c"; t["\\17\\1\\1"] = "d"
      local n = 0
      for _ in pairs(t) do n = n + 1 end
      return { t["\\1\\17"], t["\\17\\1"], t["\\1\\1\\1"], t["\\17\\1\\1"], n }
    end }`);
    expect(r).toEqual(['a', 'b', 'c', 'd', 4]);
  });

  test('every byte value, and long keys built at run time, are distinct keys', async () => {
    const r = await run(`return { main = function()
      local t, n = {}, 0
      for i = 0, 255 do t[string.char(i)] = i; t[string.char(i, 0)] = -i end
      for _ in pairs(t) do n = n + 1 end
      local ok = true
      for i = 0, 255 do ok = ok and t[string.char(i)] == i and t[string.char(i, 0)] == -i end
      local long1, long2 = string.rep("ab", 5000) .. "x", string.rep("ab", 5000) .. "y"
      t[long1] = 1; t[long2] = 2
      return { n, ok, t[long1], t[long2], t[string.rep("ab", 5000) .. "x"] }
    end }`);
    expect(r).toEqual([512, true, 1, 2, 1]);
  });
});
