/**
 * Wippy's security kinds (api/service/security): `security.policy` (actions, resources, effect, conditions),
 * `security.policy.expr` (an expr-lang expression instead of conditions), both with `groups` (named scopes),
 * and `security.token_store` (opaque tokens kept in a `store`). A policy is compiled here, so a bad operator,
 * pattern or expression is a load error naming the entry.
 */
import { isMapping } from '../errors';
import { kindDefinition, serviceBase } from '../kind';
import { qualify, type ServiceEntry } from '../types';
import { conditionPolicy, exprPolicy, PolicyError, type Policy } from '../../lib/security';

export interface SecurityPolicyEntry extends ServiceEntry {
  readonly kind: 'security.policy' | 'security.policy.expr';
  readonly policy: Policy;
  /** Full ids of the groups (named scopes) it belongs to. */
  readonly groups: readonly string[];
}

export interface TokenStoreEntry extends ServiceEntry {
  readonly kind: 'security.token_store';
  /** The full id of the backing store. */
  readonly store: string;
  /** Random bytes per token. */
  readonly tokenLength: number;
  readonly defaultExpirationMs: number;
  /** HMAC key signing tokens ('' unsigned); `token_key_env` names an environment variable holding it. */
  readonly tokenKey: string;
  readonly tokenKeyEnv: string;
}

export const securityPolicyKind = kindDefinition<SecurityPolicyEntry>({
  kinds: ['security.policy', 'security.policy.expr'],
  parse: (f, base) => {
    const definition = f.data.policy;
    if (!isMapping(definition)) return f.typeError('policy', 'a mapping');
    let policy: Policy;
    try {
      policy = base.kind === 'security.policy.expr' ? exprPolicy(base.id, definition) : conditionPolicy(base.id, definition);
    } catch (e) {
      if (e instanceof PolicyError) throw f.site.error(`policy: ${e.message}`);
      throw e;
    }
    return {
      ...serviceBase(f, base, false),
      kind: base.kind as SecurityPolicyEntry['kind'],
      policy,
      groups: f.stringList('groups').map((g) => qualify(g, base.namespace)),
    };
  },
});

const DAY_MS = 24 * 3600 * 1000;

export const tokenStoreKind = kindDefinition<TokenStoreEntry>({
  kinds: ['security.token_store'],
  parse: (f, base) => {
    const store = qualify(f.requiredString('store'), base.namespace);
    const expiration = f.durationMs('default_expiration', 0);
    // The store is not a load-time reference: as in Wippy it is looked up when a token is used, so a token
    // store whose store is missing (or of a kind this runtime skips) loads, and answers an error when used.
    return {
      ...serviceBase(f, base, false),
      kind: 'security.token_store',
      store,
      tokenLength: f.integer('token_length', 32, 1),
      defaultExpirationMs: expiration > 0 ? expiration : DAY_MS,
      tokenKey: f.has('token_key') ? f.requiredString('token_key') : '',
      tokenKeyEnv: f.has('token_key_env') ? f.requiredString('token_key_env') : '',
    };
  },
});
