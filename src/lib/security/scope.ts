/**
 * A scope: an immutable set of policies, by id. Its decision (Wippy's system/security/scope.go): any deny
 * wins; otherwise any allow; otherwise (no policy had a say, or there are none) "undefined".
 */
import type { Actor, Decision, Meta, Policy } from './policy';

export class Scope {
  static readonly EMPTY = new Scope(new Map());

  private constructor(private readonly byId: ReadonlyMap<string, Policy>) {}

  static of(policies: Iterable<Policy>): Scope {
    const m = new Map<string, Policy>();
    for (const p of policies) m.set(p.id, p);
    return m.size === 0 ? Scope.EMPTY : new Scope(m);
  }

  with(policy: Policy): Scope {
    if (this.byId.get(policy.id) === policy) return this;
    return new Scope(new Map(this.byId).set(policy.id, policy));
  }

  without(id: string): Scope {
    if (!this.byId.has(id)) return this;
    const m = new Map(this.byId);
    m.delete(id);
    return new Scope(m);
  }

  contains(id: string): boolean {
    return this.byId.has(id);
  }

  get size(): number {
    return this.byId.size;
  }

  policies(): Policy[] {
    return [...this.byId.values()];
  }

  evaluate(actor: Actor, action: string, resource: string, meta: Meta): Decision {
    let allowed = false;
    for (const p of this.byId.values()) {
      const d = p.evaluate(actor, action, resource, meta);
      if (d === 'deny') return 'deny';
      if (d === 'allow') allowed = true;
    }
    return allowed ? 'allow' : 'undefined';
  }
}
