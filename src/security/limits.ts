import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type DocumentNode,
  type OperationDefinitionNode,
  type ValidationContext,
} from 'graphql';
import { createGraphQLError, isAsyncIterable, type Plugin } from 'graphql-yoga';
import { ConfigError, type LimitsConfig } from '../config.js';
import { useListLimits } from './list-limits.js';
import { usePersistedOperationsFile } from './persisted-operations.js';
import { errorBody, errorResponse } from '../errors.js';

/**
 * The query limits: depth, aliases, tokens and directives (graphql-armor; its cost only with
 * MAX_COST), the body size,
 * the size of variables, introspection, and persisted operations. Batch size is yoga's own
 * option; the request rate is in the access plugin.
 *
 * Every limit on an operation sits in a hook that graphql-ws runs too (onParams, or envelop's
 * onParse/onValidate/onExecute/onSubscribe): src/websocket.ts sends each subscribe payload
 * through yoga's own params pipeline. Only what exists on HTTP alone (the body, its media type,
 * GET's query string, batches) is checked in onRequestParse.
 */
export async function limitPlugins(limits: LimitsConfig): Promise<Plugin[]> {
  if (limits.requirePersistedOperations && !limits.persistedOperationsFile) {
    throw new ConfigError('REQUIRE_PERSISTED_OPERATIONS needs PERSISTED_OPERATIONS_FILE');
  }
  const plugins: Plugin[] = [
    useParamsShape(),
    useUnsupportedMediaType(),
    useNotAcceptable(),
    useQueryStringErrors(),
    useNonEmptyBatch(),
    useOperationResolution(),
    useValidationBudgetMessage(),
    EnvelopArmorPlugin({
      maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, exposeLimits: true, ...report },
      maxAliases: { n: limits.maxAliases, exposeLimits: true, ...report },
      maxTokens: { n: limits.maxTokens, exposeLimits: true },
      // Off unless MAX_COST is set: MAX_UPSTREAM_CALLS (src/cost) is the guard.
      costLimit: {
        enabled: limits.maxCost > 0,
        maxCost: limits.maxCost,
        ignoreIntrospection: true,
        exposeLimits: true,
        ...report,
      },
      maxDirectives: { n: limits.maxDirectives, exposeLimits: true, ...report },
      // Field suggestions ("Did you mean …") leak the schema where introspection is off.
      blockFieldSuggestion: { enabled: !limits.introspection },
    }) as Plugin,
    useBodySizeLimit(limits.maxBodyBytes),
    useVariablesSizeLimit(limits.maxVariablesBytes),
    useListLimits(limits),
  ];
  if (!limits.introspection) plugins.push(useNoIntrospection());
  if (limits.persistedOperationsFile) {
    plugins.push(await usePersistedOperationsFile(limits.persistedOperationsFile, limits.requirePersistedOperations));
  }
  return plugins;
}

/**
 * graphql-armor throws its first rejection out of validation, with no code and a "Syntax Error"
 * prefix; reported instead, every limit a query breaks is a validation error with a code.
 */
const report = {
  propagateOnRejection: false,
  onReject: [
    (context: ValidationContext | null, error: GraphQLError) =>
      context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''))),
  ],
};

const badRequest = (message: string) =>
  createGraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });

const typeName = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value);

/**
 * The shape of one operation's params, checked before any other onParams hook reads them (a batch
 * entry `null` made the variables limit throw a TypeError). Yoga's own check runs after the user's
 * plugins and says nothing of operationName, which graphql-js then fails to resolve in silence.
 */
function useParamsShape(): Plugin {
  return {
    onParams({ params }) {
      const given = params as unknown;
      if (given === null || typeof given !== 'object' || Array.isArray(given)) {
        throw badRequest(`Each operation must be a JSON object with "query"; got ${typeName(given)}`);
      }
      const { operationName } = params as { operationName?: unknown };
      if (operationName != null && typeof operationName !== 'string') {
        throw badRequest(`"operationName" must be a string; got ${typeName(operationName)}`);
      }
      if (operationName === '') {
        throw badRequest('"operationName" is empty: send the name of an operation in the document, or leave it out');
      }
    },
  };
}

/** An empty batch has nothing to answer; yoga answers `[]` (as JSON, or as an SSE event). */
function useNonEmptyBatch(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      const parse = requestParser;
      setRequestParser(async (req) => {
        const params = await parse(req);
        if (Array.isArray(params) && params.length === 0) throw badRequest('The batch is empty: send at least one operation');
        return params;
      });
    },
  };
}

/**
 * Yoga's GET parser JSON-parses `variables` and `extensions` unguarded: a malformed one answered
 * 500. This one says which parameter is not JSON.
 */
function useQueryStringErrors(): Plugin {
  return {
    onRequestParse({ request, url, requestParser, setRequestParser }) {
      if (request.method !== 'GET' || !requestParser) return;
      const parse = requestParser;
      setRequestParser(async (req) => {
        try {
          return await parse(req);
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          for (const name of ['variables', 'extensions']) {
            const value = url.searchParams.get(name);
            if (!value) continue;
            try {
              JSON.parse(value);
            } catch (cause) {
              throw badRequest(`The query parameter "${name}" is not valid JSON: ${(cause as Error).message.slice(0, 200)}`);
            }
          }
          throw badRequest(`The query string cannot be read: ${error.message.slice(0, 200)}`);
        }
      });
    },
  };
}

/**
 * graphql-js stops validating a document whose fields or fragment spreads take too much work to
 * compare (OverlappingFieldsCanBeMergedRule's budget, ValidationContext's fragment budget) and
 * answers a bare "Validation aborted." that names neither; 800 repeats of one field reach it.
 */
function useValidationBudgetMessage(): Plugin {
  return {
    onValidate() {
      return ({ result, setResult }) => {
        if (!result.some((e) => e.message === 'Validation aborted.')) return;
        setResult(
          result.map((e) =>
            e.message === 'Validation aborted.'
              ? createGraphQLError(
                  'Validation work limit exceeded: the document selects the same fields or fragments too many ' +
                    "times for graphql-js's validation budget (comparing fields that share a response name, and " +
                    'fragment spreads). Select each field once per selection set.',
                  { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
                )
              : e,
          ),
        );
      };
    },
  };
}

/**
 * Introspection off as a validation rule on every operation. Yoga's plugin decides per request in
 * onRequestParse, which graphql-ws never passes through: it left `__schema` open there.
 */
function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

/**
 * Yoga answers an Accept header none of its result formats matches with an empty 406: this one
 * says what was asked and what can be had. A stream of results has fewer formats (a subscription
 * only text/event-stream; @defer and @stream multipart/mixed too), which yoga lists.
 */
function useNotAcceptable(): Plugin {
  const offered = 'application/graphql-response+json, application/json, text/event-stream or multipart/mixed';
  return {
    onResultProcess({ request, result, acceptableMediaTypes, resultProcessor, setResultProcessor }) {
      if (resultProcessor) return;
      const accept = (request.headers.get('accept') ?? '').slice(0, 100);
      const streamed = [...new Set(acceptableMediaTypes)].join(' or ');
      setResultProcessor((_result, fetchAPI) => {
        const message = isAsyncIterable(result)
          ? `This operation's result is a stream (a subscription, @defer or @stream), which accept ${JSON.stringify(accept)} ` +
            `cannot carry: ask for ${streamed}`
          : `Nothing this gateway answers matches accept ${JSON.stringify(accept)}: ask for ${offered}`;
        return new fetchAPI.Response(errorBody(message, 'BAD_REQUEST'), { status: 406, headers: { 'content-type': 'application/json' } });
      }, 'application/json');
    },
  };
}

/** Yoga answers a POST it has no parser for with an empty 415; this one says what to send. */
function useUnsupportedMediaType(): Plugin {
  return {
    onRequestParse({ request, requestParser, endResponse }) {
      if (requestParser || request.method !== 'POST') return;
      const type = (request.headers.get('content-type') ?? 'none').slice(0, 100);
      const message =
        `Unsupported content-type ${JSON.stringify(type)}: ` +
        'send application/json (or application/graphql, multipart/form-data)';
      endResponse(errorResponse(415, message, 'BAD_REQUEST'));
    },
  };
}

/**
 * Yoga's "Could not determine what operation to execute." says neither which name nor why: this
 * runs first and says both.
 */
function useOperationResolution(): Plugin {
  return {
    onParse({ context }) {
      const wanted = (context as { params?: { operationName?: unknown } }).params?.operationName;
      return ({ result }) => {
        if (!result || result instanceof Error || !('definitions' in result)) return;
        const operations = (result as DocumentNode).definitions.filter(
          (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
        );
        const name = typeof wanted === 'string' && wanted !== '' ? wanted : undefined;
        if (name ? operations.some((o) => o.name?.value === name) : operations.length === 1) return;
        const names = operations.map((o) => o.name?.value).filter((n) => n !== undefined);
        const quoted = names.map((n) => `"${n}"`).join(', ');
        const has = names.length > 0 ? `has ${quoted}` : 'names none';
        const message =
          operations.length === 0
            ? 'The document has no operation'
            : name
              ? `Unknown operation named "${name.slice(0, 100)}": the document ${has}`
              : `The document has ${operations.length} operations: send operationName (it ${has})`;
        throw createGraphQLError(message, {
          extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } },
        });
      };
    },
  };
}

const bodyTooLarge = (maxBytes: number) =>
  createGraphQLError(`Request body is larger than ${maxBytes} bytes`, {
    extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', http: { status: 413 } },
  });

/**
 * Yoga's own body limit streams every body through a counting TransformStream, which costs about
 * half of the server's throughput. A declared Content-Length is checked up front and bounds what
 * node:http reads, so only a body without one (chunked) is counted as it streams.
 */
function useBodySizeLimit(maxBytes: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared != null) {
        if (!/^\d+$/.test(declared)) {
          throw createGraphQLError('Content-Length header is invalid', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
        }
        if (Number(declared) > maxBytes) throw bodyTooLarge(maxBytes);
        return;
      }
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((req) => {
        let read = 0;
        const counted = req.body!.pipeThrough(
          new fetchAPI.TransformStream({
            transform(chunk: Uint8Array, controller) {
              read += chunk.byteLength;
              if (read > maxBytes) controller.error(bodyTooLarge(maxBytes));
              else controller.enqueue(chunk);
            },
          }),
        );
        return parse(
          new fetchAPI.Request(req.url, { method: req.method, headers: req.headers, body: counted, duplex: 'half' } as RequestInit),
        );
      });
    },
  };
}

function useVariablesSizeLimit(maxBytes: number): Plugin {
  return {
    onParams({ params }) {
      if (params?.variables == null) return;
      const size = Buffer.byteLength(JSON.stringify(params.variables));
      if (size > maxBytes) {
        throw createGraphQLError(`Variables are ${size} bytes; at most ${maxBytes} are accepted`, {
          extensions: { code: 'BAD_USER_INPUT', http: { status: 413 } },
        });
      }
    },
  };
}
