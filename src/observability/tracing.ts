import { AsyncLocalStorage } from 'node:async_hooks';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { UpstreamInstrument } from '../aws/client.js';
import type { OperationScope } from './tracing-plugin.js';

/** Where spans go; tracing is off without it. */
export interface TracingConfig {
  /** The OTLP/HTTP traces URL (`OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`). */
  url: string;
  /** `service.name` of every span. @default 'amplifybackend-graphql' */
  serviceName: string;
}

export interface Tracing {
  /** Goes first among yoga's plugins: the HTTP span must start before another plugin answers. */
  plugin: Plugin;
  /** For `AwsOptions.instrument`: one span per upstream call. */
  instrumentUpstream: UpstreamInstrument;
}

/**
 * A gateway's tracing, or `undefined` when it is off: then no OpenTelemetry module is even
 * loaded, no plugin or wrapper is installed, and nothing runs per request. Nothing is registered
 * globally (tracer provider, context manager, propagator): each gateway has its own provider,
 * shut down, its spans flushed, when its yoga is disposed.
 */
export async function createTracing(
  config: TracingConfig | undefined,
  options: { logger: Logger; exporter?: SpanExporter },
): Promise<Tracing | undefined> {
  if (!config) return undefined;
  const [{ createTracerProvider }, { useTracing }, { createUpstreamSpans }] = await Promise.all([
    import('./tracer-provider.js'),
    import('./tracing-plugin.js'),
    import('./upstream-spans.js'),
  ]);
  const provider = createTracerProvider({ ...config, ...options });
  // The operation each piece of work runs for: the parent of the upstream calls it makes. Our
  // own store rather than OpenTelemetry's global context manager, which every gateway shares.
  const scope = new AsyncLocalStorage<OperationScope>();
  return {
    plugin: useTracing({ provider, scope }),
    instrumentUpstream: createUpstreamSpans(provider.getTracer('amplifybackend-graphql'), scope),
  };
}
