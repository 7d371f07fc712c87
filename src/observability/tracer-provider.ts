import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';

/**
 * One gateway's tracer provider, never registered globally (sdk-node's NodeSDK would register
 * it, and a context manager and a propagator, for the whole process). Spans are batched to
 * OTLP/HTTP; the SDK reads its usual variables itself (OTEL_EXPORTER_OTLP_HEADERS and _TIMEOUT,
 * OTEL_TRACES_SAMPLER, OTEL_BSP_*). A given `exporter` (tests) gets each span as it ends.
 */
export function createTracerProvider(options: { url: string; serviceName: string; logger: Logger; exporter?: SpanExporter }) {
  const exporter = reportingFailures(options.exporter ?? new OTLPTraceExporter({ url: options.url }), options.logger);
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
}

// OpenTelemetry reports failed exports to its global diagnostic logger, silent unless a process
// sets one: a collector out of reach would go unnoticed. One line when exports start failing, one
// when they work again.
function reportingFailures(exporter: SpanExporter, logger: Logger): SpanExporter {
  let failing = false;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        const failed = result.code !== ExportResultCode.SUCCESS;
        if (failed && !failing) logger.warn({ err: result.error, spans: spans.length }, 'trace export failed: spans are dropped until it works again');
        if (!failed && failing) logger.info('trace export works again');
        failing = failed;
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
