import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { getOperationAST } from 'graphql';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { UpstreamCallEvent } from '../aws/client.js';

// Operation names come from clients: past this many distinct ones they are counted as "other".
const MAX_OPERATION_NAMES = 200;

/** The gateway's Prometheus metrics, in a registry of its own (no process-wide default). */
export function createMetrics(sources: {
  pollers: () => number;
  /** Jobs this instance's pollers watch that have run past JOB_STUCK_AFTER_SECONDS. */
  stuckJobs: () => number;
  circuit: () => 'closed' | 'open' | 'halfOpen';
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const upstreamCalls = new Counter({
    name: 'amplifybackend_upstream_calls_total',
    help: 'AmplifyBackend calls by operation and outcome (ok, or the error code)',
    labelNames: ['operation', 'outcome'],
    registers,
  });
  const upstreamDuration = new Histogram({
    name: 'amplifybackend_upstream_duration_seconds',
    help: 'AmplifyBackend call latency, retries included',
    labelNames: ['operation'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations by name, type and outcome (ok or error)',
    labelNames: ['operation_name', 'operation_type', 'outcome'],
    registers,
  });
  const operationDuration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL execution time (for subscriptions: until the source stream is set up)',
    labelNames: ['operation_type'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  // Client subscriptions, over any transport; several may share one stream and poller.
  let activeSubscriptions = 0;
  new Gauge({
    name: 'graphql_active_subscriptions',
    help: 'Subscriptions clients hold open on this instance',
    registers,
    collect() {
      this.set(activeSubscriptions);
    },
  });
  new Gauge({
    name: 'amplifybackend_job_pollers_active',
    help: 'Job and environment pollers this instance runs (holds the lease of)',
    registers,
    collect() {
      this.set(sources.pollers());
    },
  });
  // Per instance, over the watches it polls (holds the lease of), so a cluster's sum counts each
  // watch once; a job watched alone on one instance and through its environment on another counts twice.
  new Gauge({
    name: 'amplifybackend_jobs_stuck',
    help: 'Running jobs polled by this instance that started more than JOB_STUCK_AFTER_SECONDS ago',
    registers,
    collect() {
      this.set(sources.stuckJobs());
    },
  });
  new Gauge({
    name: 'amplifybackend_upstream_circuit_open',
    help: '1 while the circuit breaker fails upstream calls fast, 0.5 half open, 0 closed',
    registers,
    collect() {
      const state = sources.circuit();
      this.set(state === 'open' ? 1 : state === 'halfOpen' ? 0.5 : 0);
    },
  });

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
          operationDuration.observe({ operation_type: type }, (performance.now() - started) / 1000);
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
    registry,
    plugin,
    onUpstreamCall(event: UpstreamCallEvent) {
      upstreamCalls.inc({ operation: event.operation, outcome: event.ok ? 'ok' : (event.errorCode ?? 'error') });
      upstreamDuration.observe({ operation: event.operation }, event.durationMs / 1000);
    },
    /** Subscriptions clients hold open on this instance. */
    activeSubscriptions: () => activeSubscriptions,
    /** A failed operation that never reached execution (refused, malformed): counted by reason. */
    rejected(reason: string) {
      operations.inc({ operation_name: 'rejected', operation_type: 'unknown', outcome: reason });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
