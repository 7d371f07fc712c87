import { GraphQLError } from 'graphql';
import { createGraphQLError, maskError as yogaMaskError } from 'graphql-yoga';
import { JobPendingError, UpstreamError } from './aws/errors.js';

/** The body of a refusal answered before GraphQL runs, shaped like any GraphQL error response. */
export const errorBody = (message: string, code: string, extensions: Record<string, unknown> = {}) =>
  JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] });

/** A refusal answered before GraphQL runs (401, 406, 415, 429, ...), as a fetch Response. */
export const errorResponse = (
  status: number,
  message: string,
  code: string,
  headers: Record<string, string> = {},
  extensions: Record<string, unknown> = {},
) => new Response(errorBody(message, code, extensions), { status, headers: { 'content-type': 'application/json', ...headers } });

/**
 * A 429 of one of the gateway's own limits: the wait in `retry-after` and, for a page's code that
 * reads the body (or a graphql-ws client, which has no header), in `extensions.retryAfterSeconds`.
 */
export const rateLimitedResponse = (message: string, retryAfterSeconds: number) =>
  errorResponse(429, message, 'RATE_LIMITED', { 'retry-after': String(retryAfterSeconds) }, { retryAfterSeconds });

/** The same refusal as a GraphQL error, where no HTTP response carries it (a graphql-ws subscribe). */
export const rateLimitedError = (message: string, retryAfterSeconds: number) =>
  createGraphQLError(message, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds } });

/** A client mistake found before any upstream call. */
export const badUserInput = (message: string, field?: string) =>
  createGraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}) } });

export const isNotFound = (error: unknown) => error instanceof UpstreamError && error.code === 'NOT_FOUND';

/** What the service does not know reads as `null` (a nullable field's answer); any other failure stays a failure. */
export async function nullIfAbsent<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** Upstream answers that the data is malformed: the service broke its own contract. */
export const upstreamContractError = (message: string) =>
  createGraphQLError(message, { extensions: { code: 'UPSTREAM_ERROR', serviceName: 'AmplifyBackend' } });

function upstreamExtensions(error: UpstreamError) {
  return {
    code: error.code,
    serviceName: 'AmplifyBackend',
    operation: error.operation,
    awsErrorName: error.awsErrorName,
    ...(error.requestId ? { requestId: error.requestId } : {}),
    ...(error.resourceType ? { resourceType: error.resourceType } : {}),
    ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
    ...(error instanceof JobPendingError && error.blockingJob ? { blockingJob: error.blockingJob } : {}),
  };
}

/**
 * Yoga's error masking, taught about AmplifyBackend: an upstream failure becomes a GraphQL error
 * with `extensions.code` and the AWS request id; every other unexpected error stays masked.
 */
export function maskError(error: unknown, message: string, isDev?: boolean): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof UpstreamError) {
    const located = error instanceof GraphQLError ? error : undefined;
    return relocated(located, original.message, { ...located?.extensions, ...upstreamExtensions(original) });
  }
  // A value the schema's enum does not have can only come from upstream: the service grew one.
  const unknownEnum = /^Enum "(\w+)" cannot represent value: ([\s\S]{0,200})/.exec(
    original instanceof Error ? original.message : '',
  );
  if (error instanceof GraphQLError && unknownEnum) {
    return relocated(error, `AmplifyBackend answered a ${unknownEnum[1]} this gateway does not know: ${unknownEnum[2]}`, {
      code: 'UPSTREAM_ERROR',
      serviceName: 'AmplifyBackend',
    });
  }
  const unquoted = error instanceof GraphQLError ? withCoercionCode(withoutVariableValue(error)) : error;
  return yogaMaskError(unquoted, message, isDev);
}

/**
 * graphql-js answers a variable it cannot coerce (not provided, null where it must not be, the wrong
 * type) with no code: it is the client's input, like any other bad input.
 */
function withCoercionCode(error: GraphQLError): GraphQLError {
  if (error.extensions.code !== undefined || error.path !== undefined || !/^Variable "\$\w+" /.test(error.message)) return error;
  return relocated(error, error.message, { ...error.extensions, code: 'BAD_USER_INPUT' }, error.originalError);
}

/**
 * graphql-js quotes the whole invalid value of a variable in its message; an input can carry a
 * secret (a client secret, a private key), so the message says where and why, not what.
 */
export function withoutVariableValue(error: GraphQLError): GraphQLError {
  const reason = error.originalError?.message;
  const head = /^Variable "\$(\w+)" got invalid value /.exec(error.message);
  if (!head || reason === undefined || !error.message.endsWith(`; ${reason}`)) return error;
  const valueAndPath = error.message.slice(0, -(reason.length + 2));
  const at = / at "[^"]*"$/.exec(valueAndPath)?.[0] ?? ` at "${head[1]}"`;
  // Secrets are strings: where one belongs, String's reason would quote what came instead.
  const why = reason.replace(/^(String cannot represent a non string value): [\s\S]*$/, '$1');
  // Its message, and so its stack, would quote the value again; a variable of the wrong shape is
  // the client's mistake, like any other bad input.
  return relocated(
    error,
    `${head[0].trimEnd()}${at}; ${why}`,
    { ...error.extensions, code: 'BAD_USER_INPUT' },
    why === reason ? error.originalError : undefined,
  );
}

/** The same error, where it happened, with another message and extensions. */
function relocated(
  error: GraphQLError | undefined,
  message: string,
  extensions: Record<string, unknown>,
  originalError?: Error | null,
) {
  return new GraphQLError(message, {
    nodes: error?.nodes,
    source: error?.source,
    positions: error?.positions,
    path: error?.path,
    originalError: originalError ?? undefined,
    extensions,
  });
}
