/**
 * wisp as a library (`import { createRuntime } from 'wisp-lua'`): boot a Wippy project inside a Node program,
 * talk to its Lua processes from JavaScript, give it modules written in TypeScript. README "Embedding".
 */
export { createRuntime } from './embed/runtime';
export { LuaError, type LuaData } from './embed/values';
export { defineModule, defineObjectType, HostObject } from './embed/module';
export type { HostFunction, HostMethod, HostResult, ModuleDefinition, ObjectType, SomeHostObject, WispModule } from './embed/module';
export type {
  BusEvent,
  EntryDefinition,
  LogLevel,
  LogRecord,
  Mailbox,
  NamespaceDefinition,
  ProcessEvent,
  ProcessOutcome,
  ReceivedMessage,
  RuntimeOptions,
  SpawnOptions,
  WispRuntime,
} from './embed/types';
