import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { getOperationAST } from 'graphql';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { UpstreamCallEvent } from '../aws/client.js';

// Operation names come from clients: past this many distinct ones they are counted as "other".
const MAX_OPERATION_NAMES = 200;

const circuitValue = { open: 1, halfOpen: 0.5, closed: 0 } as const;
const upstreamBuckets: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const operationBuckets: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The gateway's Prometheus metrics, in a registry of its own (no process-wide default). */
export function createMetrics(sources: {
  pollers: () => number;
  /** Jobs this instance's pollers watch that have run past JOB_STUCK_AFTER_SECONDS. */
  stuckJobs: () => number;
  circuit: () => keyof typeof circuitValue;
  /** Every (account, region)'s breaker, by `account/region` (AMPLIFY_REGIONS, AMPLIFY_ACCOUNTS). */
  sourceCircuits?: () => { source: string; circuit: keyof typeof circuitValue }[];
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metric = metricsIn(registry);

  const upstreamCalls = metric.counter('amplifybackend_upstream_calls_total', ['operation', 'outcome'],
    'AmplifyBackend calls by operation and outcome (ok, or the error code)');
  const upstreamDuration = metric.histogram('amplifybackend_upstream_duration_seconds', ['operation'], upstreamBuckets,
    'AmplifyBackend call latency, retries included');
  const operations = operationMetrics(metric);
  metric.gauge('amplifybackend_job_pollers_active', sources.pollers,
    'Job and environment pollers this instance runs (holds the lease of)');
  // Per instance, over the watches it polls (holds the lease of), so a cluster's sum counts each
  // watch once; a job watched alone on one instance and through its environment on another counts twice.
  metric.gauge('amplifybackend_jobs_stuck', sources.stuckJobs,
    'Running jobs polled by this instance that started more than JOB_STUCK_AFTER_SECONDS ago');
  metric.gauge('amplifybackend_upstream_circuit_open', () => circuitValue[sources.circuit()],
    '1 while the circuit breaker fails upstream calls fast, 0.5 half open, 0 closed');
  const sourceCircuits = sources.sourceCircuits;
  if (sourceCircuits) {
    new Gauge({
      name: 'amplifybackend_upstream_source_circuit_open',
      help: 'Per account/region: 1 while its circuit breaker fails its calls fast, 0.5 half open, 0 closed',
      labelNames: ['source'],
      registers: [registry],
      collect() {
        for (const { source, circuit } of sourceCircuits()) this.set({ source }, circuitValue[circuit]);
      },
    });
  }

  return {
    registry,
    plugin: operations.plugin,
    onUpstreamCall(event: UpstreamCallEvent) {
      upstreamCalls.inc({ operation: event.operation, outcome: event.ok ? 'ok' : (event.errorCode ?? 'error') });
      upstreamDuration.observe({ operation: event.operation }, event.durationMs / 1000);
    },
    /** Subscriptions clients hold open on this instance. */
    activeSubscriptions: operations.activeSubscriptions,
    /** A failed operation that never reached execution (refused, malformed): counted by reason. */
    rejected: operations.rejected,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Metrics registered in `registry`, each declared by its name, labels and help. */
function metricsIn(registry: Registry) {
  const registers = [registry];
  return {
    counter: <T extends string>(name: string, labelNames: readonly T[], help: string) =>
      new Counter<T>({ name, help, labelNames, registers }),
    histogram: <T extends string>(name: string, labelNames: readonly T[], buckets: readonly number[], help: string) =>
      new Histogram<T>({ name, help, labelNames, buckets: [...buckets], registers }),
    /** A gauge whose value is read when it is scraped. */
    gauge: (name: string, read: () => number, help: string) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      }),
  };
}

/** GraphQL operations by name, type and outcome, their execution time, and open subscriptions. */
function operationMetrics(metric: ReturnType<typeof metricsIn>) {
  const operations = metric.counter('graphql_operations_total', ['operation_name', 'operation_type', 'outcome'],
    'GraphQL operations by name, type and outcome (ok or error)');
  const duration = metric.histogram('graphql_operation_duration_seconds', ['operation_type'], operationBuckets,
    'GraphQL execution time (for subscriptions: until the source stream is set up)');
  // Client subscriptions, over any transport; several may share one stream and poller.
  let activeSubscriptions = 0;
  metric.gauge('graphql_active_subscriptions', () => activeSubscriptions, 'Subscriptions clients hold open on this instance');

  const names = new Set<string>();
  const nameLabel = (name: string | undefined) => {
    if (!name) return 'anonymous';
    if (!/^\w{1,100}$/.test(name)) return 'other';
    if (names.has(name) || names.size < MAX_OPERATION_NAMES) {
      names.add(name);
      return name;
    }
    return 'other';
  };

  const plugin: Plugin = {
    onExecute({ args }) {
      const started = performance.now();
      const operation = getOperationAST(args.document, args.operationName ?? undefined);
      const type = operation?.operation ?? 'unknown';
      const name = nameLabel(args.operationName ?? operation?.name?.value);
      return {
        onExecuteDone({ result }) {
          duration.observe({ operation_type: type }, (performance.now() - started) / 1000);
          const failed = 'errors' in result && Array.isArray(result.errors) && result.errors.length > 0;
          operations.inc({ operation_name: name, operation_type: type, outcome: failed ? 'error' : 'ok' });
        },
      };
    },
    onSubscribe({ args }) {
      const operation = getOperationAST(args.document, args.operationName ?? undefined);
      operations.inc({
        operation_name: nameLabel(args.operationName ?? operation?.name?.value),
        operation_type: 'subscription',
        outcome: 'ok',
      });
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) return;
          activeSubscriptions++;
          return { onEnd: () => void activeSubscriptions-- };
        },
      };
    },
  };

  return {
    plugin,
    activeSubscriptions: () => activeSubscriptions,
    rejected(reason: string) {
      operations.inc({ operation_name: 'rejected', operation_type: 'unknown', outcome: reason });
    },
  };
}
