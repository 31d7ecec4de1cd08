/**
 * The permission check of Wippy's modules (runtime/security IsAllowed): `guard(T, action, resource, meta?)`
 * asks whether the running process's actor and scope allow it. Without an actor or a scope the runtime's mode
 * decides: allowed, unless `security.strict_mode`. With nothing configured it costs one property read.
 * A denial is the caller's to report: `denied(T, vm, message)` returns nil and a PermissionDenied error.
 */
import type { LuaState } from '../engine/lua';
import type { LuaVM } from '../engine/vm';
import type { ModuleServices } from '../api/services';
import { isAllowed, NO_META, type Meta } from '../lib/security';
import { refuse } from './refuse';

export type Guard = (T: LuaState, action: string, resource: string, meta?: Meta) => boolean;

export function securityGuard(vm: LuaVM, services: ModuleServices): Guard {
  return (T, action, resource, meta = NO_META) => {
    const context = vm.currentProcess(T).security;
    const strict = services.security?.strict ?? false;
    if (context === null) return !strict;
    return isAllowed(context, strict, action, resource, meta);
  };
}

/** nil and the denial (PermissionDenied; a few of Wippy's modules say Invalid instead, and pass `kind`). */
export function denied(T: LuaState, vm: LuaVM, message: string, kind: 'PermissionDenied' | 'Invalid' = 'PermissionDenied'): number {
  return refuse(T, vm, message, kind);
}
