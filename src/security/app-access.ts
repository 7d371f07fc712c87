import { randomUUID } from 'node:crypto';
import { createGraphQLError } from 'graphql-yoga';
import { UpstreamError } from '../aws/errors.js';
import type { OperationName } from '../aws/client.js';

/**
 * Which Amplify apps a credential may use. The gateway's AWS identity is shared by every team
 * behind it, so this is the only place where one team's credential is kept off another team's
 * apps. `patterns` are exact app ids or a prefix ending in `*`; `all` is the one `*`.
 */
export interface AppAccess {
  readonly all: boolean;
  readonly patterns: readonly string[];
}

export const allApps: AppAccess = Object.freeze({ all: true, patterns: Object.freeze(['*']) });
export const noApps: AppAccess = Object.freeze({ all: false, patterns: Object.freeze([]) });

// An app id is a path segment of every AmplifyBackend URL; a pattern holds only what an id can.
const patternShape = /^[A-Za-z0-9_-]{1,255}\*?$|^\*$/;

/** Why `pattern` is not an app pattern, or undefined when it is one. */
export function appPatternProblem(pattern: string): string | undefined {
  if (patternShape.test(pattern)) return undefined;
  return 'an app pattern is an app id (letters, digits, - and _) or such a prefix ending in *, or * for every app';
}

/** Access to the apps `patterns` name; a `*` among them means every app. */
export function appAccess(patterns: readonly string[]): AppAccess {
  const unique = [...new Set(patterns)];
  if (unique.includes('*')) return allApps;
  return Object.freeze({ all: false, patterns: Object.freeze(unique) });
}

export function allowsApp(access: AppAccess, appId: string): boolean {
  if (access.all) return true;
  return access.patterns.some((p) => (p.endsWith('*') ? appId.startsWith(p.slice(0, -1)) : appId === p));
}

/**
 * What a refused app looks like to the client: the service's own "not found" (with a request id,
 * as the service's has), made before any call, so an id outside the credential's apps cannot be
 * told from one that does not exist.
 */
export const appNotFound = (operation: string, appId: string) =>
  new UpstreamError(`App ${appId} not found`, 'NOT_FOUND', operation, 'NotFoundException', randomUUID(), 404, 1, 'app');

/** An account-wide read (the S3 buckets of the gateway's AWS account) is for credentials with every app. */
export const accountWideRefused = (operation: string) =>
  createGraphQLError(`${operation} reads the whole AWS account, so it needs a credential for every app (*)`, {
    extensions: { code: 'FORBIDDEN', requiredApps: '*' },
  });

/**
 * Refuses, before it is made, an upstream call the credential may not make: one naming an app
 * outside its set, or one that names no app (account-wide) from a credential without every app.
 * Every read and write a request makes passes here, whichever field, node id, entity
 * representation or mutation input named the app, so no field can forget the check.
 */
export function checkAppAccess(access: AppAccess, operation: OperationName, input: object | undefined): void {
  if (access.all) return;
  const appId = (input as { appId?: unknown } | undefined)?.appId;
  if (typeof appId !== 'string') throw accountWideRefused(operation);
  if (!allowsApp(access, appId)) throw appNotFound(operation, appId);
}
