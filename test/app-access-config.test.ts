import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createAuthenticator, AuthenticationError } from '../src/security/access.js';
import { allowsApp, appAccess, appPatternProblem } from '../src/security/app-access.js';
import { configError } from './helpers-config.js';

const KEY = 'key-team-todo-0000000001';
const OTHER = 'key-team-other-000000002';
const SECRET = 'a-test-secret-for-hs256-at-least-32-characters';

describe('GATEWAY_API_KEYS with apps', () => {
  it('reads the apps after @, joined with +; a key without @ has every app', () => {
    const { apiKeys } = loadConfig({ GATEWAY_API_KEYS: `${KEY}=read+write@d1todoapp00001+team-a-*, ${OTHER}=read` }).access;
    expect(apiKeys).toEqual([
      { key: KEY, scopes: ['read', 'write'], apps: ['d1todoapp00001', 'team-a-*'] },
      { key: OTHER, scopes: ['read'], apps: ['*'] },
    ]);
  });

  it("reads the README's example", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = /`GATEWAY_API_KEYS=([^`]+)`/.exec(readme)?.[1];
    expect(loadConfig({ GATEWAY_API_KEYS: example! }).access.apiKeys).toEqual([
      { key: 'key-team-a-000000001', scopes: ['read', 'write'], apps: ['d1todoapp00001', 'team-a-*'] },
    ]);
  });

  it.each([
    ['an empty app list', `${KEY}=read@`, '""'],
    ['an empty app between +', `${KEY}=read@d1todo++d2`, '""'],
    ['a * inside an id', `${KEY}=read@d1*todo`, '"d1*todo"'],
    ['a path segment', `${KEY}=read@..`, '".."'],
    ['a slash', `${KEY}=read@d1/../d2`, '"d1/../d2"'],
    ['a second @', `${KEY}=read@d1@d2`, '"d1@d2"'],
    ['white space in an id', `${KEY}=read@d1 todo`, '"d1 todo"'],
  ])('refuses %s, naming the entry and the pattern, never the key', (_case, value, shown) => {
    const { message } = configError({ GATEWAY_API_KEYS: value });
    expect(message).toContain('GATEWAY_API_KEYS entry 1: after @ come app ids joined with +');
    expect(message).toContain(shown);
    expect(message).not.toContain(KEY);
  });

  it('refuses a JWT apps claim name that is not a claim name, and a default that is not all or none', () => {
    expect(configError({ GATEWAY_JWT_SECRET: SECRET, GATEWAY_JWT_APPS_CLAIM: 'a b' }).message).toContain(
      'GATEWAY_JWT_APPS_CLAIM must be a claim name',
    );
    expect(configError({ GATEWAY_JWT_SECRET: SECRET, GATEWAY_JWT_APPS_DEFAULT: 'some' }).message).toContain(
      'GATEWAY_JWT_APPS_DEFAULT must be all or none',
    );
  });
});

describe('app patterns', () => {
  it.each([
    ['d1todoapp00001', 'd1todoapp00001', true],
    ['d1todoapp00001', 'd1todoapp000011', false],
    ['d1todoapp00001', 'd1todoapp0000', false],
    ['d1todo*', 'd1todoapp00001', true],
    ['d1todo*', 'd1todo', true],
    ['d1todo*', 'd2gallery00002', false],
    ['*', 'anything', true],
  ])('%s allows %s: %s', (pattern, appId, allowed) => {
    expect(allowsApp(appAccess([pattern]), appId)).toBe(allowed);
  });

  it('no patterns allow no app, whatever its id', () => {
    fc.assert(fc.property(fc.string(), (appId) => !allowsApp(appAccess([]), appId)));
  });

  it('a prefix allows exactly the ids that start with it', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
    fc.assert(
      fc.property(id, fc.string({ maxLength: 30 }), (prefix, appId) => {
        expect(allowsApp(appAccess([`${prefix}*`]), appId)).toBe(appId.startsWith(prefix));
      }),
    );
  });

  it('a pattern holds only what an app id can: never a path segment, a separator or a lone surrogate', () => {
    for (const bad of ['', '.', '..', '__proto__/x', 'a/b', 'a%2Fb', '\ud800', 'a*b', '**', 'a'.repeat(256)]) {
      expect(appPatternProblem(bad), bad).toBeDefined();
    }
  });
});

describe('JWT apps', () => {
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user-1')
      .setExpirationTime(Math.floor(Date.now() / 1000) + 3600)
      .sign(new TextEncoder().encode(SECRET));
  const authenticator = (appsDefault?: 'all' | 'none') =>
    createAuthenticator({
      apiKeys: [],
      jwt: { secret: SECRET, appsClaim: 'amplify_apps', ...(appsDefault ? { appsDefault } : {}) },
      insecure: false,
      authFailuresPerMinute: 0,
      authFailureBurst: 0,
    });
  const appsOf = async (claims: Record<string, unknown>, appsDefault?: 'all' | 'none') =>
    (await authenticator(appsDefault).authenticate({ authorization: `Bearer ${await sign({ scope: 'read', ...claims })}` }))?.apps;

  it.each([
    ['a list', { amplify_apps: ['d1todoapp00001', 'team-a-*'] }, ['d1todoapp00001', 'team-a-*']],
    ['a space-separated string', { amplify_apps: 'd1todoapp00001 team-a-*' }, ['d1todoapp00001', 'team-a-*']],
    ['an empty list', { amplify_apps: [] }, []],
  ])('reads the claim as %s', async (_case, claims, patterns) => {
    expect(await appsOf(claims)).toEqual({ all: false, patterns });
  });

  it('gives a token without the claim the default: none unless the operator says all', async () => {
    expect(await appsOf({})).toEqual({ all: false, patterns: [] });
    expect(await appsOf({}, 'none')).toEqual({ all: false, patterns: [] });
    expect((await appsOf({}, 'all'))?.all).toBe(true);
  });

  it.each([
    ['a number', { amplify_apps: 7 }],
    ['a list with a number', { amplify_apps: ['d1todoapp00001', 7] }],
    ['a path segment', { amplify_apps: ['..'] }],
  ])('refuses a token whose claim is %s, rather than guess', async (_case, claims) => {
    await expect(appsOf(claims)).rejects.toThrow(
      new AuthenticationError("The token's amplify_apps claim must list app ids (or prefixes ending in *)"),
    );
  });
});
