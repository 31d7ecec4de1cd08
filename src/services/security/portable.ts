/**
 * A security context as it crosses to another thread of the node (src/cluster/spec.md "Threads"): the actor as
 * its id and metadata, the scope as the ids of its registry policies, rebuilt there from that thread's
 * registry. An HTTP request handed to a worker carries it (as a structured clone), and so does a spawn placed
 * on another thread (as text in its SPAWN frame).
 */
import { Actor, Scope, type Policy, type SecurityContext } from '../../lib/security';
import type { Registry, SecurityPolicyEntry } from '../../registry';

/** A security context as ids: the actor, and the registry policies of its scope (null: no scope). */
export interface PortableSecurity {
  readonly actor: { readonly id: string; readonly meta: Record<string, unknown> } | null;
  readonly policies: string[] | null;
}

const isPolicyEntry = (e: { kind: string } | undefined): e is SecurityPolicyEntry => e?.kind === 'security.policy' || e?.kind === 'security.policy.expr';

/**
 * `security` as ids, when every policy of its scope is the registry's policy of that id (a token's grant, a
 * named scope); undefined when one is not (a policy of another registry version), which cannot be rebuilt on
 * another thread.
 */
export function portableSecurity(security: SecurityContext | null, registry: Registry): PortableSecurity | null | undefined {
  if (security === null) return null;
  let policies: string[] | null = null;
  if (security.scope !== null) {
    policies = [];
    for (const p of security.scope.policies()) {
      const e = registry.get(p.id);
      if (!isPolicyEntry(e) || e.policy !== p) return undefined;
      policies.push(p.id);
    }
  }
  const actor = security.actor === null ? null : { id: security.actor.id, meta: { ...security.actor.meta } };
  return { actor, policies };
}

/** The security context again, from this thread's registry (a policy it lacks is left out, as a token's is). */
export function securityFrom(portable: PortableSecurity | null, registry: Registry): SecurityContext | null {
  if (portable === null) return null;
  let scope: Scope | null = null;
  if (portable.policies !== null) {
    const policies: Policy[] = [];
    for (const id of portable.policies) {
      const e = registry.get(id);
      if (isPolicyEntry(e)) policies.push(e.policy);
    }
    scope = Scope.of(policies);
  }
  const actor = portable.actor === null ? null : new Actor(portable.actor.id, Object.freeze({ ...portable.actor.meta }));
  return { actor, scope };
}

/** Whether JSON gives `v` back as it is: actor metadata is plain JS, but a number may be NaN, infinite or -0. */
function jsonExact(v: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (Array.isArray(v)) return v.every((x) => jsonExact(x, depth + 1));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v).every((x) => jsonExact(x, depth + 1));
  return false;
}

/** `security` as text for a spawn on another thread ("" for none); undefined when it cannot cross. */
export function securityText(security: SecurityContext | null | undefined, registry: Registry): string | undefined {
  const portable = portableSecurity(security ?? null, registry);
  if (portable === undefined) return undefined;
  if (portable === null) return '';
  if (portable.actor !== null && !jsonExact(portable.actor.meta)) return undefined;
  return JSON.stringify(portable);
}

/** The security context of `text` (securityText's), from this thread's registry: null for ""; undefined for text not its. */
export function securityOfText(text: string, registry: Registry): SecurityContext | null | undefined {
  if (text === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isPortable(parsed) ? securityFrom(parsed, registry) : undefined;
}

function isPortable(v: unknown): v is PortableSecurity {
  if (typeof v !== 'object' || v === null) return false;
  const { actor, policies } = v as Record<string, unknown>;
  const actorOk = actor === null || (typeof actor === 'object' && typeof (actor as Record<string, unknown>).id === 'string' && typeof (actor as Record<string, unknown>).meta === 'object' && (actor as Record<string, unknown>).meta !== null);
  return actorOk && (policies === null || (Array.isArray(policies) && policies.every((p) => typeof p === 'string')));
}
