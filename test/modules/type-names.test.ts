/** Messages that name a Lua value's type name it in words ("table"), never as the bytes of a Lua string. */
import { run } from '../helpers/lua';

test('a duration of the wrong type names its type', async () => {
  const source = `return { main = function()
    local time = require("time")
    local ok, err = pcall(time.sleep, {})
    return tostring(err)
  end }`;
  expect(await run(source)).toMatch(/invalid duration: expected a string, a number of nanoseconds or a Duration, got table$/);
});
