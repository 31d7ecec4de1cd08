/**
 * The Lua modules wisp provides, in install order (a module comes after those it `needs`). Adding a module
 * is its folder and one line here; `system.modules()`, the global set and the README's list derive from it.
 */
import { LuaVM, type VmOptions } from '../engine/vm';
import { watchdogOfIsolate, type MemoryWatchdog } from '../engine/watchdog';
import { installModules, type LuaModule } from './module';
import type { ModuleServices } from '../api/services';
import { errorsModule } from './errors';
import { typesModule } from './types';
import { channelModule } from './channel';
import { timeModule } from './time';
import { payloadModule } from './payload';
import { processModule } from './process';
import { ctxModule } from './ctx';
import { funcsModule } from './funcs';
import { registryModule } from './registry';
import { eventsModule } from './events';
import { loggerModule } from './logger';
import { ioModule } from './io';
import { base64Module } from './base64';
import { hashModule } from './hash';
import { cryptoModule } from './crypto';
import { compressModule } from './compress';
import { textModule } from './text';
import { uuidModule } from './uuid';
import { jsonModule } from './json';
import { yamlModule } from './yaml';
import { envModule } from './env';
import { systemModule } from './system';
import { sqlModule } from './sql';
import { storeModule } from './store';
import { queueModule } from './queue';
import { exprModule } from './expr';
import { templatesModule } from './templates';
import { streamModule } from './stream';
import { httpClientModule } from './http_client';
import { httpModule } from './http';
import { websocketModule } from './websocket';
import { metricsModule } from './metrics';
import { fsModule } from './fs';
import { execModule } from './exec';
import { contractModule } from './contract';
import { htmlModule } from './html';
import { excelModule } from './excel';
import { treesitterModule } from './treesitter';
import { evalRunnerModule } from './eval_runner';

/** Errors first: every other module returns error values. */
export const MODULES: readonly LuaModule<unknown>[] = [
  errorsModule,
  typesModule,
  channelModule,
  timeModule,
  payloadModule,
  processModule,
  ctxModule,
  funcsModule,
  registryModule,
  eventsModule,
  loggerModule,
  ioModule,
  base64Module,
  hashModule,
  cryptoModule,
  compressModule,
  textModule,
  uuidModule,
  jsonModule,
  yamlModule,
  envModule,
  sqlModule,
  storeModule,
  queueModule,
  systemModule,
  exprModule,
  templatesModule,
  streamModule,
  httpClientModule,
  httpModule,
  websocketModule,
  metricsModule,
  fsModule,
  execModule,
  contractModule,
  htmlModule,
  excelModule,
  treesitterModule,
  evalRunnerModule,
];

export interface RuntimeVmOptions extends VmOptions, ModuleServices {
  /** The memory watchdog to attach the VM to: by default the isolate's (`watchdogOfIsolate()`); null: none. */
  readonly watchdog?: MemoryWatchdog | null;
}

export function createVM(options: RuntimeVmOptions = {}): LuaVM {
  const vm = new LuaVM(options);
  installModules(vm, MODULES, options);
  // After the modules: everything made so far is shared, not any process's.
  const watchdog = options.watchdog === undefined ? watchdogOfIsolate() : options.watchdog;
  watchdog?.attach(vm);
  return vm;
}
