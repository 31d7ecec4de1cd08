/** Installs the Lua modules into a VM. Errors first: every other module returns error values. */
import { LuaVM, type VmOptions } from '../engine/vm';
import { installErrors } from './errors';
import { installTypes } from './types';
import { installChannel } from './channel';
import { installTime } from './time';
import { installPayload } from './payload';
import { installProcess } from './process';
import { installLogger, SILENT, type LogSink } from './logger';
import { installIo } from './io';
import { watchdog } from '../engine/watchdog';
import { installBase64 } from './base64';
import { installHash } from './hash';
import { installUuid } from './uuid';
import { installJson } from './json';
import { installYaml } from './yaml';
import { installEnv } from './env';
import { installCtx } from './ctx';
import { installFuncs } from './funcs';
import { installRegistry } from './registry';
import { installEvents } from './events';
import type { Environment } from './env/store';
import { installSystem, type SystemAccess } from './system';
import type { RegistryStore } from '../registry';

export interface RuntimeVmOptions extends VmOptions {
  /** Where `logger` records and global `print` go (default: nowhere). */
  logs?: LogSink;
  /** The runtime's env entries, for `env` (absent: every env call is an Internal error). */
  env?: Environment;
  /** The runtime's snapshot and exit, for `system` (absent: its host and supervisor calls are Internal errors). */
  system?: SystemAccess;
  /** The runtime's registry, for `funcs` and `registry` (absent: nothing can be called or found). */
  registry?: RegistryStore;
}

export function createVM(options: RuntimeVmOptions = {}): LuaVM {
  const vm = new LuaVM(options);
  installErrors(vm);
  installTypes(vm);
  const channels = installChannel(vm);
  installTime(vm, channels);
  const payloads = installPayload(vm);
  installProcess(vm, channels, payloads);
  installCtx(vm);
  installFuncs(vm, channels, payloads, options.registry);
  installRegistry(vm, options.registry);
  installEvents(vm, channels);
  const print = installLogger(vm, options.logs ?? SILENT);
  if (options.print === undefined) vm.printTo(print);
  installIo(vm);
  installBase64(vm);
  installHash(vm);
  installUuid(vm);
  installJson(vm);
  installYaml(vm);
  installEnv(vm, options.env);
  installSystem(vm, options.system);
  watchdog.attach(vm); // after the modules: everything made so far is shared, not any process's
  return vm;
}
