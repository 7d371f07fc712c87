import { expect } from 'vitest';

/** A GraphQL error as the tests write it (one location; a path of one field, if any). */
export interface Refusal {
  code: string;
  message: string;
  /** The input field named in `extensions.field`, for refusals by the gateway's own checks. */
  field?: string;
  /** Where in the operation's text: GraphQL's `locations`, line 1 unless given. */
  column: number;
  line?: number;
  /** The field, for errors in its resolver: a root field, or the path to a nested one. */
  path?: string | string[];
}

/** One GraphQL error exactly as the gateway answers it: a code (and field), one location, a message, a path. */
export function graphqlError(r: Refusal) {
  return {
    extensions: { code: r.code, ...(r.field === undefined ? {} : { field: r.field }) },
    locations: [{ column: r.column, line: r.line ?? 1 }],
    message: r.message,
    ...(r.path === undefined ? {} : { path: typeof r.path === 'string' ? [r.path] : r.path }),
  };
}

/** An error without a location: a request refused before GraphQL runs, or a rule over the whole document. */
export const requestError = (code: string, message: string, extensions: Record<string, unknown> = {}) => ({
  extensions: { code, ...extensions },
  message,
});

/** The `errors` of a response that refuses an input with exactly this one error. */
export const refusal = (r: Refusal) => [graphqlError(r)];

/**
 * One GraphQL error for an error AmplifyBackend answered, as the gateway passes it on: the
 * service's error name, the operation, and a request id of its own for each call.
 */
export function upstreamError(
  r: Refusal & { awsErrorName: string; operation: string; resourceType?: string; retryAfterSeconds?: number },
) {
  const { awsErrorName, operation, resourceType, retryAfterSeconds, ...rest } = r;
  const error = graphqlError(rest);
  return {
    ...error,
    extensions: {
      ...error.extensions,
      awsErrorName,
      operation,
      requestId: expect.any(String),
      // What a NotFoundException says was missing.
      ...(resourceType === undefined ? {} : { resourceType }),
      // What RATE_LIMITED and UPSTREAM_UNAVAILABLE tell a client to wait.
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      serviceName: 'AmplifyBackend',
    },
  };
}

/** An upstream call that got no answer (it timed out, its connection dropped): no request id. */
export function unansweredError(r: Refusal & { awsErrorName: string; operation: string }) {
  const error = upstreamError(r);
  const { requestId: _none, ...extensions } = error.extensions;
  return { ...error, extensions };
}

type Where = Omit<Refusal, 'code' | 'field'>;

/** AmplifyBackend's BadRequestException for `operation`, answered as BAD_USER_INPUT. */
export const upstreamBadRequest = (operation: string, where: Where) =>
  upstreamError({ code: 'BAD_USER_INPUT', awsErrorName: 'BadRequestException', operation, ...where });

/** AmplifyBackend's NotFoundException for `operation`, of a `resourceType`, answered as NOT_FOUND. */
export const upstreamNotFound = (operation: string, resourceType: string, where: Where) =>
  upstreamError({ code: 'NOT_FOUND', awsErrorName: 'NotFoundException', operation, resourceType, ...where });
