/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query EnvironmentView($appId: ID!, $name: String!) {\n  backendEnvironment(appId: $appId, name: $name) {\n    name\n    apis {\n      resourceName\n    }\n    auth {\n      resourceName\n    }\n    storages {\n      resourceName\n    }\n    pendingJob {\n      ...JobFields\n    }\n    jobs(first: 5) {\n      edges {\n        node {\n          ...JobFields\n        }\n      }\n    }\n  }\n}": typeof types.EnvironmentViewDocument,
    "fragment JobFields on BackendJob {\n  jobId\n  operation\n  state\n  isDone\n  error\n}\n\nsubscription WatchJob($appId: ID!, $environmentName: String!, $jobId: ID!) {\n  backendJob(appId: $appId, environmentName: $environmentName, jobId: $jobId) {\n    ...JobFields\n  }\n}": typeof types.JobFieldsFragmentDoc,
    "mutation AddStorage($input: CreateBackendStorageInput!) {\n  createBackendStorage(input: $input) {\n    job {\n      ...JobFields\n    }\n  }\n}": typeof types.AddStorageDocument,
};
const documents: Documents = {
    "query EnvironmentView($appId: ID!, $name: String!) {\n  backendEnvironment(appId: $appId, name: $name) {\n    name\n    apis {\n      resourceName\n    }\n    auth {\n      resourceName\n    }\n    storages {\n      resourceName\n    }\n    pendingJob {\n      ...JobFields\n    }\n    jobs(first: 5) {\n      edges {\n        node {\n          ...JobFields\n        }\n      }\n    }\n  }\n}": types.EnvironmentViewDocument,
    "fragment JobFields on BackendJob {\n  jobId\n  operation\n  state\n  isDone\n  error\n}\n\nsubscription WatchJob($appId: ID!, $environmentName: String!, $jobId: ID!) {\n  backendJob(appId: $appId, environmentName: $environmentName, jobId: $jobId) {\n    ...JobFields\n  }\n}": types.JobFieldsFragmentDoc,
    "mutation AddStorage($input: CreateBackendStorageInput!) {\n  createBackendStorage(input: $input) {\n    job {\n      ...JobFields\n    }\n  }\n}": types.AddStorageDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query EnvironmentView($appId: ID!, $name: String!) {\n  backendEnvironment(appId: $appId, name: $name) {\n    name\n    apis {\n      resourceName\n    }\n    auth {\n      resourceName\n    }\n    storages {\n      resourceName\n    }\n    pendingJob {\n      ...JobFields\n    }\n    jobs(first: 5) {\n      edges {\n        node {\n          ...JobFields\n        }\n      }\n    }\n  }\n}"): (typeof documents)["query EnvironmentView($appId: ID!, $name: String!) {\n  backendEnvironment(appId: $appId, name: $name) {\n    name\n    apis {\n      resourceName\n    }\n    auth {\n      resourceName\n    }\n    storages {\n      resourceName\n    }\n    pendingJob {\n      ...JobFields\n    }\n    jobs(first: 5) {\n      edges {\n        node {\n          ...JobFields\n        }\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment JobFields on BackendJob {\n  jobId\n  operation\n  state\n  isDone\n  error\n}\n\nsubscription WatchJob($appId: ID!, $environmentName: String!, $jobId: ID!) {\n  backendJob(appId: $appId, environmentName: $environmentName, jobId: $jobId) {\n    ...JobFields\n  }\n}"): (typeof documents)["fragment JobFields on BackendJob {\n  jobId\n  operation\n  state\n  isDone\n  error\n}\n\nsubscription WatchJob($appId: ID!, $environmentName: String!, $jobId: ID!) {\n  backendJob(appId: $appId, environmentName: $environmentName, jobId: $jobId) {\n    ...JobFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddStorage($input: CreateBackendStorageInput!) {\n  createBackendStorage(input: $input) {\n    job {\n      ...JobFields\n    }\n  }\n}"): (typeof documents)["mutation AddStorage($input: CreateBackendStorageInput!) {\n  createBackendStorage(input: $input) {\n    job {\n      ...JobFields\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;