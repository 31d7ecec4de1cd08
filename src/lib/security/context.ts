/**
 * The security context a process or call runs with, and the one check every guarded operation makes
 * (Wippy's runtime/security IsAllowed): with both an actor and a scope, only an explicit allow passes; with
 * either missing, the runtime's mode decides (permissive by default, denied under `security.strict_mode`).
 */
import { NO_META, type Actor, type Meta } from './policy';
import type { Scope } from './scope';

export interface SecurityContext {
  readonly actor: Actor | null;
  readonly scope: Scope | null;
}

/** A context with `over`'s parts replacing `base`'s where given. */
export function overlaySecurity(base: SecurityContext | null, actor: Actor | null, scope: Scope | null): SecurityContext | null {
  if (actor === null && scope === null) return base;
  return { actor: actor ?? base?.actor ?? null, scope: scope ?? base?.scope ?? null };
}

export function isAllowed(context: SecurityContext | null, strict: boolean, action: string, resource: string, meta: Meta = NO_META): boolean {
  if (context === null) return !strict;
  const { actor, scope } = context;
  if (actor === null || scope === null) return !strict;
  return scope.evaluate(actor, action, resource, meta) === 'allow';
}
