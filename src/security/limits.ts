import { readFileSync } from 'node:fs';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { ConfigError, type LimitsConfig } from '../config.js';

/**
 * The query limits: depth, aliases, tokens, cost and directives (graphql-armor), the size of
 * variables, introspection, and persisted operations. Body size and batch size are yoga's own
 * options; the request rate is in the access plugin.
 */
export function limitPlugins(limits: LimitsConfig): Plugin[] {
  const plugins: Plugin[] = [
    EnvelopArmorPlugin({
      maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, exposeLimits: true },
      maxAliases: { n: limits.maxAliases, exposeLimits: true },
      maxTokens: { n: limits.maxTokens, exposeLimits: true },
      costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true, exposeLimits: true },
      maxDirectives: { n: limits.maxDirectives, exposeLimits: true },
      // Field suggestions ("Did you mean …") leak the schema where introspection is off.
      blockFieldSuggestion: { enabled: !limits.introspection },
    }) as Plugin,
    useVariablesSizeLimit(limits.maxVariablesBytes),
  ];
  if (!limits.introspection) plugins.push(useDisableIntrospection());
  if (limits.persistedOperationsFile) {
    const store = loadPersistedOperations(limits.persistedOperationsFile);
    plugins.push(
      usePersistedOperations({
        getPersistedOperation: (hash: string) => store.get(hash) ?? null,
        allowArbitraryOperations: !limits.requirePersistedOperations,
      }),
    );
  }
  return plugins;
}

function useVariablesSizeLimit(maxBytes: number): Plugin {
  return {
    onParams({ params }) {
      if (params.variables == null) return;
      const size = Buffer.byteLength(JSON.stringify(params.variables));
      if (size > maxBytes) {
        throw createGraphQLError(`Variables are ${size} bytes; at most ${maxBytes} are accepted`, {
          extensions: { code: 'BAD_USER_INPUT', http: { status: 413 } },
        });
      }
    },
  };
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
  return new Map(Object.entries(parsed as Record<string, string>));
}
