/**
 * `security.token_store` (Wippy's service/security/tokenstore): opaque bearer tokens. A token is random bytes
 * (base64url), signed with HMAC-SHA256 when a key is configured (`token.signature`); what it stands for (the
 * actor, the scope's policy ids, its expiry and metadata) is kept in the backing `store` under the unsigned
 * part. Validation rebuilds the scope from the registry's current policies, so a policy removed since is gone
 * from old tokens too. Unlike Wippy, validation also checks the recorded expiry itself, so an expired token is
 * refused even by a store that does not expire keys on time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'crypto';
import { ErrorValue, type Value } from '../../kernel/value';
import { Actor, Scope, type Policy } from '../../lib/security';
import { serviceDefinition, type ServiceContext } from '../service';
import { PolicyBook } from './policies';
import type { TokenStoreEntry } from '../../registry';
import type { KeyValueStore } from '../../api/store';
import type { Maybe } from '../../lib/byte-stream';
import type { TokenGrant, TokenStore } from '../../api/security';
import '../../api/store';
import '../../api/security';
import { valueToPlain, plainToValue } from '../../engine/plain';

const invalid = (): ErrorValue => new ErrorValue('invalid token format', 'Invalid', false);

/** A store operation's value, or the ErrorValue it failed with (stores throw or reject them). */
async function attempt<T>(op: () => Maybe<T>): Promise<T | ErrorValue> {
  try {
    return await op();
  } catch (e) {
    return e instanceof ErrorValue ? e : new ErrorValue(e instanceof Error ? e.message : String(e), 'Internal', false);
  }
}

interface Stored {
  readonly actor_id: string;
  readonly actor_meta?: Record<string, unknown>;
  readonly scope_policies?: string[];
  readonly created: number;
  readonly expires?: number;
  readonly meta?: Record<string, unknown>;
}

function isStored(x: unknown): x is Stored {
  return typeof x === 'object' && x !== null && typeof (x as Stored).actor_id === 'string' && typeof (x as Stored).created === 'number';
}

class StoreTokens implements TokenStore {
  private readonly policies: PolicyBook;

  constructor(
    private readonly entry: TokenStoreEntry,
    private readonly ctx: ServiceContext,
    private readonly key: string,
  ) {
    this.policies = new PolicyBook(ctx.store, false);
  }

  /** Runs `use` with the backing store held (as Wippy acquires it per operation), or why it cannot. */
  private async withStore<T>(use: (store: KeyValueStore) => Promise<T | ErrorValue>): Promise<T | ErrorValue> {
    const s = this.ctx.resources.get(this.entry.store, 'store');
    if (s instanceof ErrorValue) return new ErrorValue(`failed to acquire backing store ${this.entry.store}: ${s.message}`, s.kind, false);
    const hold = s.acquire();
    if (hold instanceof ErrorValue) return new ErrorValue(`failed to acquire backing store ${this.entry.store}: ${hold.message}`, hold.kind, false);
    try {
      return await use(s);
    } finally {
      hold.release();
    }
  }

  private sign(base: string): string {
    return createHmac('sha256', this.key).update(base).digest('base64url');
  }

  /** The storage key of `token`, or why it cannot be one (a bad or forged signature). */
  private baseOf(token: string): string | ErrorValue {
    if (token === '') return invalid();
    if (this.key === '') return token;
    const parts = token.split('.');
    if (parts.length !== 2) return invalid();
    const expected = Buffer.from(this.sign(parts[0]));
    const given = Buffer.from(parts[1]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return invalid();
    return parts[0];
  }

  create(actor: Actor, scope: Scope, expirationMs: number, meta: Readonly<Record<string, unknown>>): Promise<string | ErrorValue> {
    return this.withStore((store) => this.createIn(store, actor, scope, expirationMs, meta));
  }

  private async createIn(store: KeyValueStore, actor: Actor, scope: Scope, expirationMs: number, meta: Readonly<Record<string, unknown>>): Promise<string | ErrorValue> {
    const base = randomBytes(this.entry.tokenLength).toString('base64url');
    const ttl = expirationMs > 0 ? expirationMs : this.entry.defaultExpirationMs;
    const now = Date.now();
    const record: Stored = {
      actor_id: actor.id,
      actor_meta: { ...actor.meta },
      scope_policies: scope.policies().map((p) => p.id),
      created: now,
      expires: now + ttl,
      meta: { ...meta },
    };
    const r = await attempt(() => store.set(base, plainToValue(record), ttl));
    if (r instanceof ErrorValue) return new ErrorValue(`failed to store token: ${r.message}`, r.kind, false);
    return this.key === '' ? base : `${base}.${this.sign(base)}`;
  }

  async validate(token: string): Promise<TokenGrant | ErrorValue> {
    const base = this.baseOf(token);
    if (base instanceof ErrorValue) return base;
    return this.withStore((store) => this.validateIn(store, base));
  }

  private async validateIn(store: KeyValueStore, base: string): Promise<TokenGrant | ErrorValue> {
    const value: Value | ErrorValue = await attempt(() => store.get(base));
    if (value instanceof ErrorValue) {
      if (value.kind === 'NotFound') return new ErrorValue('token not found', 'NotFound', false);
      return new ErrorValue(`failed to retrieve token: ${value.message}`, value.kind, false);
    }
    const data = valueToPlain(value, { maxDepth: 8 });
    if (!isStored(data)) return new ErrorValue('failed to unmarshal token data', 'Internal', false);
    if (typeof data.expires === 'number' && data.expires <= Date.now()) {
      await attempt(() => store.delete(base));
      return new ErrorValue('token expired', 'Expired', false);
    }
    const policies: Policy[] = [];
    for (const id of data.scope_policies ?? []) {
      const p = this.policies.policy(id);
      if (!(p instanceof ErrorValue)) policies.push(p);
    }
    return { actor: new Actor(data.actor_id, Object.freeze({ ...(data.actor_meta ?? {}) })), scope: Scope.of(policies) };
  }

  async revoke(token: string): Promise<true | ErrorValue> {
    const base = this.baseOf(token);
    if (base instanceof ErrorValue) return base;
    return this.withStore((store) => this.revokeIn(store, base));
  }

  private async revokeIn(store: KeyValueStore, base: string): Promise<true | ErrorValue> {
    const r = await attempt(() => store.delete(base));
    if (r instanceof ErrorValue) return new ErrorValue(`failed to delete token: ${r.message}`, r.kind, false);
    if (!r) return new ErrorValue('token not found', 'NotFound', false);
    return true;
  }
}

export const tokenStoreService = serviceDefinition<TokenStoreEntry>({
  kinds: ['security.token_store'],
  start: (entry, ctx) => {
    let key = entry.tokenKey;
    if (entry.tokenKeyEnv !== '') {
      const v = ctx.env.get(entry.tokenKeyEnv, entry.namespace);
      if (v instanceof ErrorValue) throw new Error(`security.token_store ${entry.id}: token_key_env ${entry.tokenKeyEnv}: ${v.message}`);
      key = v;
    }
    return { facets: { token_store: new StoreTokens(entry, ctx, key) }, stop: async () => undefined };
  },
});
