/**
 * JSON Web Tokens as Wippy signs and checks them (golang-jwt v5 with HS256/HS384/HS512/RS256): the header is
 * `{"alg","typ":"JWT"}` plus the payload's `_header` fields, and verification checks the allowed algorithm,
 * the signature, then the time claims (`exp` required unless told otherwise). Messages are golang-jwt's.
 */
import { createHmac, createPrivateKey, createPublicKey, createSign, createVerify, timingSafeEqual, X509Certificate, type KeyObject } from 'crypto';

export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512' | 'RS256';

/** The algorithm Wippy signs with for a name (anything unknown signs as HS256, as its getSigningMethod does). */
export function signingAlgorithm(name: string): JwtAlgorithm {
  return name === 'HS384' || name === 'HS512' || name === 'RS256' ? name : 'HS256';
}

const HMAC_HASH: Record<Exclude<JwtAlgorithm, 'RS256'>, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/** A JWT failure: `message` is golang-jwt's; `invalidKey` marks the errors Wippy reports as INVALID. */
export class JwtError extends Error {
  constructor(
    message: string,
    readonly invalidKey = false,
  ) {
    super(message);
  }
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** Keys sorted, as Go's encoding/json writes a map. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as Record<string, unknown>).sort()) out[k] = (v as Record<string, unknown>)[k];
    return out;
  });
}

function privateKey(pem: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(pem), format: 'pem' });
  } catch {
    throw new JwtError('invalid RSA private key: failed to parse PEM block containing private key', true);
  }
}

function publicKey(pem: Uint8Array): KeyObject {
  const text = Buffer.from(pem);
  try {
    return new X509Certificate(text).publicKey;
  } catch {
    try {
      return createPublicKey({ key: text, format: 'pem' });
    } catch {
      throw new JwtError('token is unverifiable: error while executing keyfunc: failed to parse PEM block containing public key');
    }
  }
}

/** Signs `claims` (a plain object, `_header` taken out and merged into the header). */
export function jwtEncode(claims: Record<string, unknown>, key: Uint8Array, algName: string): string {
  const alg = signingAlgorithm(algName);
  const header: Record<string, unknown> = { alg, typ: 'JWT' };
  const extra = claims._header;
  const payload = { ...claims };
  if (extra !== null && typeof extra === 'object' && !Array.isArray(extra)) {
    Object.assign(header, extra);
    delete payload._header;
  }
  const signingInput = `${b64url(sortedJson(header))}.${b64url(sortedJson(payload))}`;
  return `${signingInput}.${b64url(sign(alg, signingInput, key))}`;
}

function sign(alg: JwtAlgorithm, input: string, key: Uint8Array): Buffer {
  if (alg === 'RS256') return createSign('RSA-SHA256').update(input).sign(privateKey(key));
  return createHmac(HMAC_HASH[alg], key).update(input).digest();
}

function decodeSegment(segment: string, what: 'header' | 'claims'): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(segment)) throw new JwtError(`token is malformed: could not base64 decode ${what}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError(`token is malformed: could not JSON decode ${what}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new JwtError(`token is malformed: could not JSON decode ${what}`);
  return parsed as Record<string, unknown>;
}

/**
 * Checks `token` and answers its claims as the raw JSON bytes of the payload (the caller decodes them to Lua
 * values with the json codec). Throws JwtError with golang-jwt's message.
 */
export function jwtVerify(token: string, key: Uint8Array, algName: string, requireExp: boolean, nowSeconds: number): Buffer {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('token is malformed: token contains an invalid number of segments');
  const header = decodeSegment(parts[0], 'header');
  decodeSegment(parts[1], 'claims');
  const alg = header.alg;
  if (typeof alg !== 'string' || !['HS256', 'HS384', 'HS512', 'RS256'].includes(alg)) {
    throw new JwtError('token is unverifiable: signing method (alg) is unavailable');
  }
  if (alg !== algName) throw new JwtError(`token signature is invalid: signing method ${alg} is invalid`);
  const input = `${parts[0]}.${parts[1]}`;
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(parts[2])) throw new JwtError('token is malformed: could not base64 decode signature');
  const signature = Buffer.from(parts[2], 'base64url');
  if (!checkSignature(alg as JwtAlgorithm, input, signature, key)) throw new JwtError('token signature is invalid: signature is invalid');
  const payload = Buffer.from(parts[1], 'base64url');
  checkTimes(JSON.parse(payload.toString('utf8')) as Record<string, unknown>, requireExp, nowSeconds);
  return payload;
}

function checkSignature(alg: JwtAlgorithm, input: string, signature: Buffer, key: Uint8Array): boolean {
  if (alg === 'RS256') {
    try {
      return createVerify('RSA-SHA256').update(input).verify(publicKey(key), signature);
    } catch (e) {
      if (e instanceof JwtError) throw e;
      return false;
    }
  }
  const expected = createHmac(HMAC_HASH[alg], key).update(input).digest();
  return expected.length === signature.length && timingSafeEqual(expected, signature);
}

function numericClaim(claims: Record<string, unknown>, name: string): number | undefined {
  const v = claims[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw new JwtError(`token has invalid claims: token contains an invalid number: ${name} claim is invalid`);
  return v;
}

function checkTimes(claims: Record<string, unknown>, requireExp: boolean, now: number): void {
  const exp = numericClaim(claims, 'exp');
  if (exp === undefined && requireExp) throw new JwtError('token has invalid claims: token is missing required claim: exp claim is required');
  if (exp !== undefined && now >= exp) throw new JwtError('token has invalid claims: token is expired');
  const nbf = numericClaim(claims, 'nbf');
  if (nbf !== undefined && now < nbf) throw new JwtError('token has invalid claims: token is not valid yet');
}
