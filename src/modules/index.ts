/** Installs the Lua modules into a VM. Errors first: every other module returns error values. */
import { LuaVM, type VmOptions } from '../engine/vm';
import { installErrors } from './errors';
import { installChannel } from './channel';
import { installTime } from './time';

export function createVM(options: VmOptions = {}): LuaVM {
  const vm = new LuaVM(options);
  installErrors(vm);
  const channels = installChannel(vm);
  installTime(vm, channels);
  return vm;
}
