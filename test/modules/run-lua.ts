/** Runs a Lua script (its body is `main`) through the real engine with the given modules enabled. */
import { createVM } from '../../src/modules';
import { spawn } from '../helpers/lua';
import { valueToPlain } from '../../src/engine/plain';

export async function runWith(modules: string[], body: string): Promise<unknown> {
  const vm = createVM();
  const r = await spawn(vm, `local function main()\n${body}\nend\nreturn { main = main }`, 'test:main', [], modules).exit;
  if (r.error) throw new Error(r.error.stack ?? r.error.message);
  return valueToPlain(r.value);
}
