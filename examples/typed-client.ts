import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

export interface Result<TData> {
  data?: TData | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * Runs a generated document by its id alone (`__meta__.hash`, the key it has in
 * persisted-documents.json): the gateway reads the document from its manifest. Variables and
 * result are typed by the document.
 */
export async function execute<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  headers: Record<string, string> = {},
): Promise<Result<TData>> {
  const { __meta__ } = document as typeof document & { __meta__: { hash: string } };
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ documentId: __meta__.hash, variables }),
  });
  return (await res.json()) as Result<TData>;
}
