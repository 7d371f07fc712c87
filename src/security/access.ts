import { createHash, timingSafeEqual } from 'node:crypto';
import {
  Kind,
  getOperationAST,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { JWTVerifyGetKey } from 'jose';
import { ConfigError, scopes as allScopes, type AccessConfig, type Scope } from '../config.js';
import { allApps, appAccess, appPatternProblem, noApps, type AppAccess } from './app-access.js';

/** Who is calling, as far as the gateway knows; `id` is safe to log, it is never the credential. */
export interface Principal {
  id: string;
  scopes: ReadonlySet<Scope>;
  /** The apps it may use; every app when absent (a principal made before apps existed, in tests). */
  apps?: AppAccess;
}

export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
}

// Mutations that delete what cannot be brought back need `admin` as well as `write`.
export const destructiveMutations: ReadonlySet<string> = new Set([
  'deleteBackend',
  'deleteBackendApi',
  'deleteBackendAuth',
  'deleteBackendStorage',
  'removeAllBackends',
  'removeBackendConfig',
  'deleteToken',
]);

// jose's codes for a remote key set it could not fetch or read; its plain JOSEError
// (ERR_JOSE_GENERIC) is thrown only by that fetch (a status other than 200, a body not JSON).
const keySetFailures = new Set(['ERR_JOSE_GENERIC', 'ERR_JWKS_INVALID', 'ERR_JWKS_TIMEOUT']);

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** The token of an `Authorization: Bearer <token>` header; undefined for any other header. */
export const bearerToken = (authorization: string | null | undefined) =>
  /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '')?.[1]?.trim();

/**
 * Checks a candidate against one secret by hash, in constant time: neither timing nor a log shows
 * the secret.
 */
export function secretMatcher(secret: string) {
  const hash = sha256(secret);
  return (candidate: string) => timingSafeEqual(sha256(candidate), hash);
}

/**
 * Checks credentials: an API key (`Authorization: Bearer <key>` or `x-api-key`) or a JWT bearer
 * token. `null` when none was sent; an AuthenticationError when one was sent and is not valid.
 */
export function createAuthenticator(config: AccessConfig) {
  if (config.jwt && !config.jwt.secret === !config.jwt.jwksUrl) {
    throw new ConfigError('JWT access needs exactly one of GATEWAY_JWT_SECRET and GATEWAY_JWKS_URL');
  }
  const open = config.apiKeys.length === 0 && !config.jwt;
  // Keys are compared by hash, in constant time: neither timing nor a log shows a key.
  const keys = config.apiKeys.map((k, i) => ({
    hash: sha256(k.key),
    principal: {
      id: `apikey:${i + 1}:${sha256(k.key).toString('hex').slice(0, 8)}`,
      scopes: new Set(k.scopes),
      apps: appAccess(k.apps ?? ['*']),
    } as Principal,
  }));
  const jwt = config.jwt;
  const secret = jwt?.secret ? new TextEncoder().encode(jwt.secret) : undefined;
  // jose loads on the first token, so a gateway without JWTs never pays for it at start.
  let jose: Promise<typeof import('jose')> | undefined;
  const loadJose = () => (jose ??= import('jose'));
  let jwks: Promise<JWTVerifyGetKey> | undefined;

  function byKey(candidate: string): Principal | undefined {
    const hash = sha256(candidate);
    return keys.find((k) => timingSafeEqual(k.hash, hash))?.principal;
  }

  async function byJwt(token: string): Promise<Principal> {
    const { jwtVerify, createRemoteJWKSet, errors: joseErrors } = await loadJose();
    try {
      const options = {
        issuer: jwt?.issuer,
        audience: jwt?.audience,
        requiredClaims: jwt?.requireExp === false ? [] : ['exp'],
      };
      const { payload } = secret
        ? await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] })
        : await jwtVerify(token, await (jwks ??= Promise.resolve(createRemoteJWKSet(new URL(jwt!.jwksUrl!)))), options);
      const claim = payload.scope ?? payload.scp;
      const granted = (Array.isArray(claim) ? claim : String(claim ?? '').split(' ')).filter((s): s is Scope =>
        allScopes.includes(s as Scope),
      );
      return { id: jwtPrincipalId(payload, token), scopes: new Set(granted), apps: jwtApps(payload) };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new AuthenticationError('The token has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'exp' && error.reason === 'missing') {
        throw new AuthenticationError('The token has no expiry (exp claim), which this gateway requires of every token');
      }
      // The key set could not be had (an error status, not JSON, not a key set, too slow): the
      // token may be good, so this is the gateway's 503, not the client's 401.
      if (error instanceof joseErrors.JOSEError && keySetFailures.has(error.code)) throw error;
      if (error instanceof joseErrors.JOSEError) throw new AuthenticationError('The token is not valid');
      throw error;
    }
  }

  /**
   * Who a verified token stands for, which is also its rate-limit bucket: its subject; without one
   * the OAuth client it was issued to (`client_id`, `azp`); without either the token itself, by
   * hash. Each is fixed by the issuer's signature, so a client cannot pick itself fresh buckets
   * (short of getting new tokens from the issuer), and tokens without a subject do not share one.
   * Long values are hashed so that an id stays short enough to log and to key on.
   */
  function jwtPrincipalId(payload: Record<string, unknown>, token: string): string {
    const short = (value: string) => (value.length <= 128 ? value : `sha256:${sha256(value).toString('hex').slice(0, 32)}`);
    const named = (claim: unknown) => (typeof claim === 'string' && claim !== '' ? claim : undefined);
    const sub = named(payload.sub);
    if (sub) return `jwt:${short(sub)}`;
    const client = named(payload.client_id) ?? named(payload.azp);
    if (client) return `jwt-client:${short(client)}`;
    return `jwt-token:${sha256(token).toString('hex').slice(0, 32)}`;
  }

  /**
   * The apps a verified token may use, from the claim the operator named: a list of app patterns
   * or one space-separated string. Without the setting every token has every app; a token without
   * the claim gets the operator's default. A claim that is there but malformed refuses the token,
   * rather than guessing what its issuer meant.
   */
  function jwtApps(payload: Record<string, unknown>): AppAccess {
    if (!jwt?.appsClaim) return allApps;
    const claim = payload[jwt.appsClaim];
    if (claim === undefined) return jwt.appsDefault === 'all' ? allApps : noApps;
    const patterns = typeof claim === 'string' ? claim.split(' ').filter(Boolean) : claim;
    if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== 'string' || appPatternProblem(p))) {
      throw new AuthenticationError(`The token's ${jwt.appsClaim} claim must list app ids (or prefixes ending in *)`);
    }
    return appAccess(patterns as string[]);
  }

  const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);

  return {
    open,
    /** `authorization` and `x-api-key` as sent (HTTP headers or graphql-ws connectionParams). */
    async authenticate(credentials: { authorization?: string | null; apiKey?: string | null }): Promise<Principal | null> {
      if (open) return { id: 'open', scopes: new Set(allScopes), apps: allApps };
      const bearer = bearerToken(credentials.authorization);
      if (credentials.authorization && !bearer) throw new AuthenticationError('Authorization must be "Bearer <API key or token>"');
      const candidate = bearer ?? credentials.apiKey?.trim();
      if (!candidate) return null;
      const keyed = byKey(candidate);
      if (keyed) return keyed;
      if (jwt && looksLikeJwt(candidate)) return byJwt(candidate);
      throw new AuthenticationError('The API key or token is not valid');
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

/** The scopes an operation needs: read for queries and subscriptions, write (and admin) for mutations. */
export function requiredScopes(document: DocumentNode, operationName?: string | null): Scope[] {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return ['read'];
  if (operation.operation !== 'mutation') return ['read'];
  // Root fields through fragment spreads and inline fragments: a fragment must not hide one.
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const seen = new Set<string>();
  const destructive = (set: SelectionSetNode): boolean =>
    set.selections.some((s) => {
      if (s.kind === Kind.FIELD) return destructiveMutations.has(s.name.value);
      if (s.kind === Kind.INLINE_FRAGMENT) return destructive(s.selectionSet);
      const fragment = fragments.get(s.name.value);
      if (!fragment || seen.has(s.name.value)) return false;
      seen.add(s.name.value);
      return destructive(fragment.selectionSet);
    });
  return destructive(operation.selectionSet) ? ['write', 'admin'] : ['write'];
}

export const missingScope = (principal: Principal, needed: Scope[]) => needed.find((s) => !principal.scopes.has(s));
