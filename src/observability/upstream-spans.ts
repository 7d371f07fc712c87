import type { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { UpstreamInstrument } from '../aws/client.js';
import { UpstreamError } from '../aws/errors.js';
import type { OperationScope } from './tracing-plugin.js';

/**
 * One CLIENT span per AmplifyBackend call, child of the operation it is made for: the operation,
 * the attempts the SDK's retries made (`$metadata.attempts`), the AWS request id, and the outcome
 * (`ok` or the gateway's error code, with the AWS error name). Never the input or an error's
 * message: both may carry argument values.
 *
 * A call made once its operation has ended (a job poller a subscription or mutation started, which
 * runs on for other subscribers) starts a trace of its own, linked to that operation.
 */
export function createUpstreamSpans(tracer: Tracer, scope: AsyncLocalStorage<OperationScope>): UpstreamInstrument {
  return async (operation, send) => {
    const current = scope.getStore();
    const live = current && !current.ended;
    const origin = current?.ended ? trace.getSpanContext(current.context) : undefined;
    const span = tracer.startSpan(
      `AmplifyBackend/${operation}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'rpc.system': 'aws-api', 'rpc.service': 'AmplifyBackend', 'rpc.method': operation },
        links: origin ? [{ context: origin }] : [],
      },
      live ? current.context : ROOT_CONTEXT,
    );
    try {
      const output = await send();
      const metadata = (output as { $metadata?: { attempts?: number; requestId?: string } }).$metadata;
      span.setAttributes({
        'amplifybackend.outcome': 'ok',
        'amplifybackend.attempts': metadata?.attempts ?? 1,
        'aws.request_id': metadata?.requestId,
      });
      return output;
    } catch (error) {
      const failure = error instanceof UpstreamError ? error : undefined;
      const code = failure?.code ?? 'INTERNAL_SERVER_ERROR';
      span.setAttributes({
        'amplifybackend.outcome': code,
        'amplifybackend.attempts': failure?.attempts ?? 0,
        'aws.request_id': failure?.requestId,
        'error.type': failure?.awsErrorName ?? 'Error',
        'http.response.status_code': failure?.httpStatus,
      });
      span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      throw error;
    } finally {
      span.end();
    }
  };
}
