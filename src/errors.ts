import { GraphQLError } from 'graphql';
import { createGraphQLError, maskError as yogaMaskError } from 'graphql-yoga';
import { UpstreamError } from './aws/errors.js';

/** A client mistake found before any upstream call. */
export const badUserInput = (message: string, field?: string) =>
  createGraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}) } });

export const isNotFound = (error: unknown) => error instanceof UpstreamError && error.code === 'NOT_FOUND';

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
    return new GraphQLError(original.message, {
      nodes: located?.nodes,
      source: located?.source,
      positions: located?.positions,
      path: located?.path,
      extensions: { ...located?.extensions, ...upstreamExtensions(original) },
    });
  }
  return yogaMaskError(error, message, isDev);
}
