/**
 * The registry's policies and groups, for `security.policy(id)` and `security.named_scope(id)` and token
 * validation (Wippy's PolicyRegistry). Built from the current registry version when first asked, and again
 * only after the registry changed: a project without security entries pays one scan per version.
 */
import { ErrorValue } from '../../kernel/value';
import { Actor, Scope, type Policy, type SecurityContext } from '../../lib/security';
import type { LifecycleSecurity, Registry, RegistryStore, SecurityPolicyEntry } from '../../registry';
import type { SecurityAccess } from '../../api/security';

interface Book {
  readonly registry: Registry;
  readonly policies: ReadonlyMap<string, Policy>;
  readonly groups: ReadonlyMap<string, Scope>;
}

function isPolicyEntry(e: { kind: string }): e is SecurityPolicyEntry {
  return e.kind === 'security.policy' || e.kind === 'security.policy.expr';
}

function bookOf(registry: Registry): Book {
  const policies = new Map<string, Policy>();
  const members = new Map<string, Policy[]>();
  for (const e of registry.entries()) {
    if (!isPolicyEntry(e)) continue;
    policies.set(e.id, e.policy);
    for (const g of e.groups) {
      const list = members.get(g);
      if (list === undefined) members.set(g, [e.policy]);
      else list.push(e.policy);
    }
  }
  const groups = new Map<string, Scope>();
  for (const [g, list] of members) groups.set(g, Scope.of(list));
  return { registry, policies, groups };
}

export class PolicyBook implements SecurityAccess {
  private book: Book | null = null;

  constructor(
    private readonly store: RegistryStore,
    readonly strict: boolean,
  ) {}

  private current(): Book {
    const registry = this.store.current;
    if (this.book === null || this.book.registry !== registry) this.book = bookOf(registry);
    return this.book;
  }

  policy(id: string): Policy | ErrorValue {
    return this.current().policies.get(id) ?? new ErrorValue(`policy not found: ${id}`, 'NotFound', false);
  }

  group(id: string): Scope | ErrorValue {
    return this.current().groups.get(id) ?? new ErrorValue(`policy group not found: ${id}`, 'NotFound', false);
  }

  /**
   * A service's `lifecycle.security` as the context its process starts with (Wippy's WithSecurityConfig):
   * the actor, and a scope of its groups' and policies' members when there is any (missing ones are skipped).
   */
  contextFor(config: LifecycleSecurity | undefined): SecurityContext | null {
    if (config === undefined) return null;
    const book = this.current();
    const policies: Policy[] = [];
    for (const g of config.groups) policies.push(...(book.groups.get(g)?.policies() ?? []));
    for (const id of config.policies) {
      const p = book.policies.get(id);
      if (p !== undefined) policies.push(p);
    }
    return { actor: new Actor(config.actor.id, Object.freeze({ ...config.actor.meta })), scope: policies.length > 0 ? Scope.of(policies) : null };
  }
}
