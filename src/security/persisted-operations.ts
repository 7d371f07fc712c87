import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Plugin } from 'graphql-yoga';
import { ConfigError } from '../config.js';

/**
 * Persisted operations served from PERSISTED_OPERATIONS_FILE, a JSON map of id → document. Its ids
 * are sha256 hex hashes (Apollo's persisted queries) or GraphQL-over-HTTP document ids
 * `sha256:<hex>`, which GraphQL Code Generator's client preset writes in persisted-documents.json
 * and puts in each document's `__meta__.hash`. Both name the same document, so a request may send
 * either, as Apollo's `extensions.persistedQuery { version: 1, sha256Hash }` or as GraphQL over
 * HTTP's `documentId` (in a POST body, a GET query string or a graphql-ws payload).
 */
export async function usePersistedOperationsFile(file: string, required: boolean): Promise<Plugin> {
  const store = loadPersistedOperations(file);
  // Loaded only where configured: it costs start-up time where it is not.
  const { usePersistedOperations, defaultExtractPersistedOperationId } = await import(
    '@graphql-yoga/plugin-persisted-operations'
  );
  return usePersistedOperations({
    getPersistedOperation: (hash: string) => store.get(hash) ?? null,
    extractPersistedOperationId: (params, request, context) => {
      const id = documentIdOf(params, request) ?? defaultExtractPersistedOperationId(params, request, context);
      return id === null ? null : sha256Hex(id);
    },
    allowArbitraryOperations: !required,
    customErrors: {
      notFound: {
        message: 'Unknown persisted operation: no operation has this sha256Hash',
        extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' },
      },
      keyNotFound: {
        message: 'Send a query, or extensions.persistedQuery { version: 1, sha256Hash }',
        extensions: { code: 'PERSISTED_QUERY_ID_REQUIRED' },
      },
      persistedQueryOnly: {
        message:
          'Only persisted operations are accepted: send extensions.persistedQuery ' +
          '{ version: 1, sha256Hash } instead of a query',
        extensions: { code: 'PERSISTED_QUERY_ONLY' },
      },
    },
  });
}

const sha256Prefix = 'sha256:';

/** A `sha256:<hex>` document id as the hex hash it holds; any other id as it is. */
const sha256Hex = (id: string) => (id.startsWith(sha256Prefix) ? id.slice(sha256Prefix.length) : id);

/** GraphQL over HTTP's `documentId`: yoga's GET parser keeps only the four standard parameters. */
function documentIdOf(params: object, request: Request): string | null {
  const { documentId } = params as { documentId?: unknown };
  if (typeof documentId === 'string') return documentId;
  if (request.method !== 'GET') return null;
  return new URL(request.url).searchParams.get('documentId');
}

function loadPersistedOperations(file: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`PERSISTED_OPERATIONS_FILE ${file} cannot be read as JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
    throw new ConfigError(`PERSISTED_OPERATIONS_FILE ${file} must be a JSON object of hash: "query" pairs`);
  }
  const store = new Map<string, string>();
  for (const [id, document] of Object.entries(parsed as Record<string, string>)) {
    const hash = sha256Hex(id);
    // A `sha256:` id says what its hash is: served by that hash alone, it must be the document's.
    if (hash !== id && createHash('sha256').update(document).digest('hex') !== hash) {
      throw new ConfigError(`PERSISTED_OPERATIONS_FILE ${file}: the document under "${id}" does not hash to it`);
    }
    if (store.has(hash) && store.get(hash) !== document) {
      throw new ConfigError(`PERSISTED_OPERATIONS_FILE ${file}: two documents under the hash ${hash}`);
    }
    store.set(hash, document);
  }
  return store;
}
