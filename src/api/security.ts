/**
 * What the security part of the runtime offers Lua modules (`ModuleServices.security`): the mode, and the
 * registry's policies and groups (`security.policy(id)`, `security.named_scope(id)`). A runtime with no
 * security configured still has one (permissive, empty); a bare VM has none, and is permissive.
 *
 * Token stores are a facet: `resources.get('app:tokens', 'token_store')`.
 */
import type { ErrorValue } from '../kernel/value';
import type { Actor, Policy, Scope } from '../lib/security';

export interface SecurityAccess {
  /** `security.strict_mode` in `.wippy.yaml`: a check without an actor or a scope is denied. */
  readonly strict: boolean;
  /** A `security.policy` / `security.policy.expr` entry, or NotFound. */
  policy(id: string): Policy | ErrorValue;
  /** The policies whose `groups` name `id` (`ns:name`), as a scope; NotFound when none does. */
  group(id: string): Scope | ErrorValue;
}

/** What a token stands for once validated. */
export interface TokenGrant {
  readonly actor: Actor;
  readonly scope: Scope;
}

/** A `security.token_store` entry's running form. Failures are error values (Wippy's kinds and messages). */
export interface TokenStore {
  /** A new token for `actor` and `scope` (stored by policy id), valid for `expirationMs` (0: the default). */
  create(actor: Actor, scope: Scope, expirationMs: number, meta: Readonly<Record<string, unknown>>): Promise<string | ErrorValue>;
  validate(token: string): Promise<TokenGrant | ErrorValue>;
  revoke(token: string): Promise<true | ErrorValue>;
}

declare module './resources' {
  interface Facets {
    token_store: TokenStore;
  }
}
