import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { DestinationStream, Logger } from 'pino';
import { createAccessGuards } from './access-guards.js';
import type { AmplifyBackend } from './aws/client.js';
import { ConfigError, isOpen, type GatewayConfig, type UpstreamConfig } from './config.js';
import { createContext, type RequestContext } from './context.js';
import type { Emulator } from './emulator/server.js';
import { loadExamplePages } from './example-pages.js';
import { createGraphQLServer, type GraphQLServer } from './graphql-server.js';
import { createJobRuntime } from './job-runtime.js';
import { judgeReadiness } from './readiness.js';
import { explainAws } from './upstream-choice.js';
import { realScheduler, type Scheduler } from './jobs/scheduler.js';
import { countStuck, type JobTiming } from './jobs/stuck.js';
import type { JobWatcher } from './jobs/watcher.js';
import { createLiveQueries, type LiveQueries } from './live/live-queries.js';
import { createLogger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createTracing, type Tracing } from './observability/tracing.js';
import { closeRedis, connectRedis, pingRedis, type RedisClients } from './redis.js';
import { schema } from './schema/index.js';
import { createAuthenticator } from './security/access.js';
import type { AuthFailureGuard } from './security/auth-failures.js';
import { createOriginPolicy, type OriginPolicy } from './security/cors.js';
import { limitPlugins } from './security/limits.js';
import type { ReadInvalidation } from './read-invalidation.js';
import { appAccessKey } from './security/app-access.js';
import { useSharedSubscriptions } from './shared-subscriptions.js';
import { createTransports, type Transports } from './transports.js';
import { createUpstream, type Upstream } from './upstream.js';

/**
 * Builds a gateway: the AWS client, the GraphQL server, and with `upstream.kind: 'embedded'` an
 * in-process AmplifyBackend emulator seeded with demo apps. Nothing is shared between gateways.
 */
export async function createGateway(
  config: GatewayConfig,
  overrides: {
    scheduler?: Scheduler;
    logDestination?: DestinationStream;
    /** The gateway's now, what job ages are measured against. @default the embedded emulator's clock, else Date.now */
    now?: () => number;
    /** Where spans go instead of OTLP/HTTP (tests); tracing is still on only with `config.tracing`. */
    spanExporter?: SpanExporter;
  } = {},
) {
  refuseOpenAws(config);
  const logger = createLogger(config.logLevel, overrides.logDestination);
  const tracing = await createTracing(config.tracing, { logger, exporter: overrides.spanExporter });
  const authenticator = createAuthenticator(config.access);
  // Read before anything starts: a bad file stops the start with its name.
  const limits = await limitPlugins(config.limits);
  const examples = config.examples ? await loadExamplePages() : undefined;
  const emulator = await startEmbeddedEmulator(config.upstream);

  // Its gauges read the upstream and the jobs, made below, only when scraped.
  const metrics = createMetrics({
    pollers: () => jobs.stats().pollers,
    stuckJobs: () => countStuck(jobs.polledJobs(), jobTiming),
    circuit: () => aws.health().circuit,
    sourceCircuits: () => upstream.router.sources.map((s) => ({ source: s.key, circuit: s.aws.health().circuit })),
  });
  const upstream = createUpstream(config, {
    emulatorUrl: emulator?.url,
    onCall: metrics.onUpstreamCall,
    instrument: tracing?.instrumentUpstream,
    // Kept reads age on the pollers' clock: a test moves both without waiting.
    now: overrides.scheduler?.now.bind(overrides.scheduler),
  });
  const { aws, reads } = upstream;
  const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger) : undefined;
  const { jobs, timing: jobTiming, invalidations } = createJobRuntime(config, {
    aws,
    reads,
    redis,
    scheduler: overrides.scheduler,
    // The embedded emulator stamps createTime by its own clock, which `advance` may have moved on.
    now: overrides.now ?? (emulator ? () => emulator.clock.now() : Date.now),
  });
  const { rateLimiter, authFailures, checkCredentials, upstreamCost } = createAccessGuards(config, {
    authenticator,
    logger,
    redis,
    sources: upstream.directory.sources,
  });
  const origins = createOriginPolicy({ origins: config.corsOrigins, open: authenticator.open });

  const { yoga, sharedSubscriptions, liveQueries } = createRequestPipeline(config, {
    logger,
    upstream,
    jobs,
    jobTiming,
    invalidations,
    guards: { checkCredentials, rateLimiter, upstreamCost },
    origins,
    limits,
    metrics,
    tracing,
    scheduler: overrides.scheduler ?? realScheduler,
  });

  let stopping: Promise<void> | undefined;
  const transports = createTransports(config, {
    yoga,
    schema,
    logger,
    registry: metrics.registry,
    readiness: () => readiness({ stopping: stopping !== undefined, upstream, redis }),
    checkCredentials,
    rateLimiter,
    origins,
    examples,
  });

  let url: string | undefined;

  return {
    yoga,
    aws,
    /** Per (account, region): its clients, breaker and cache (`router.sources`), and the app directory. */
    upstream,
    emulator,
    server: transports.listener.server,
    jobs,
    logger,
    metrics,
    /** Subscriptions held open by clients, and the shared streams serving them. */
    subscriptions: () => ({ clients: metrics.activeSubscriptions(), ...sharedSubscriptions.stats() }),
    /** Live queries open, their runs so far, and the environments they watch. */
    liveQueries: liveQueries.stats,
    /** The id of the HTTP request the calling code runs for, if any (for crash logs). */
    currentRequestId: transports.http.currentRequestId,
    /** The fast path for the common request (src/fast-path.ts), unless FAST_PATH=false. */
    fastPath: transports.fastPath,
    /** Whether anybody is let in without a credential. */
    open: authenticator.open,
    get url() {
      return url;
    },
    /** Listens on `port` (0: any free port) and resolves with the GraphQL endpoint's URL. */
    async start(port = config.port, host = config.host): Promise<string> {
      url = await transports.listener.listen(port, host);
      logger.info({ url, open: authenticator.open, upstream: emulator ? 'embedded emulator' : 'AmplifyBackend' }, 'gateway listening');
      return url;
    },
    /**
     * Stops accepting, completes open subscriptions, stops pollers and releases their leases,
     * lets requests in flight finish (up to shutdownGraceMs), then closes every socket.
     * `abandonLeases` leaves leases to expire, as a crash would.
     */
    stop({ abandonLeases = false }: { abandonLeases?: boolean } = {}): Promise<void> {
      const parts = { transports, jobs, liveQueries, authFailures, yoga, aws, redis, emulator, logger };
      stopping ??= shutdown(parts, { abandonLeases, graceMs: config.shutdownGraceMs });
      return stopping;
    },
  };
}

/**
 * What every request of every transport runs through: yoga on one envelop instance, its plugins
 * (access, limits, cost, metrics, shared subscriptions, live queries, tracing), and the context
 * each operation gets, whose writes tell every instance what they changed.
 */
function createRequestPipeline(
  config: GatewayConfig,
  parts: {
    logger: Logger;
    upstream: Upstream;
    jobs: JobWatcher;
    jobTiming: JobTiming;
    invalidations: ReadInvalidation;
    guards: Pick<ReturnType<typeof createAccessGuards>, 'checkCredentials' | 'rateLimiter' | 'upstreamCost'>;
    origins: OriginPolicy;
    limits: Awaited<ReturnType<typeof limitPlugins>>;
    metrics: Metrics;
    tracing: Tracing | undefined;
    scheduler: Scheduler;
  },
) {
  const { upstream, jobs, jobTiming, invalidations } = parts;
  // Watching one job is a state stream: its subscribers can share one execution per change.
  const sharedSubscriptions = useSharedSubscriptions({
    stateFields: new Set(['backendJob']),
    // Subscribers share a stream only with those who may see the same apps (its resolver checked them).
    partition: (args) => appAccessKey((args.contextValue as RequestContext).principal?.apps),
  });
  const liveQueries = createLiveQueries(config.liveQueries, { invalidations, reads: upstream.reads, jobs, scheduler: parts.scheduler });
  // Every write of a request goes through here: every instance forgets what it kept of the app,
  // and live queries learn what it changed.
  const writes = invalidations.announceWrites(upstream.aws);
  // Every read of a request goes through here: a job it shows ended forgets what it changed.
  const reads = invalidations.observeJobs(upstream.reads);
  const contextParts = { aws: writes, reads, jobs, jobTiming, directory: upstream.directory, maxUpstreamCalls: config.limits.maxUpstreamCalls };
  const yoga = createGraphQLServer(config, {
    logger: parts.logger,
    context: (request) => createContext(contextParts, request),
    ...parts.guards,
    origins: parts.origins,
    limits: parts.limits,
    metrics: parts.metrics.plugin,
    sharedSubscriptions: sharedSubscriptions.plugin,
    liveQueries: liveQueries.plugin,
    tracing: parts.tracing?.plugin,
  });
  return { yoga, sharedSubscriptions, liveQueries };
}

/** The stop sequence: subscriptions end first (their `complete` goes out), then requests in flight may finish. */
async function shutdown(
  gateway: {
    transports: Transports;
    jobs: JobWatcher;
    liveQueries: LiveQueries;
    authFailures: AuthFailureGuard;
    yoga: GraphQLServer;
    aws: AmplifyBackend;
    redis: RedisClients | undefined;
    emulator: Emulator | undefined;
    logger: Logger;
  },
  options: { abandonLeases: boolean; graceMs: number },
) {
  const { listener, ws, http } = gateway.transports;
  const closed = listener.close();
  await gateway.jobs.stop({ abandon: options.abandonLeases });
  await gateway.liveQueries.stop();
  await new Promise((resolve) => setImmediate(resolve));
  await ws.dispose();
  gateway.authFailures.stop();
  listener.server.closeIdleConnections();
  await http.drained(options.graceMs);
  listener.destroySockets();
  await closed;
  await gateway.yoga.dispose();
  gateway.aws.destroy();
  if (gateway.redis) await closeRedis(gateway.redis);
  await gateway.emulator?.stop();
  gateway.logger.info('gateway stopped');
  gateway.logger.flush?.();
}

/** What /ready answers: whether AmplifyBackend (and Redis, when used) can be reached. */
async function readiness(gateway: { stopping: boolean; upstream: Upstream; redis: RedisClients | undefined }) {
  if (gateway.stopping) return judgeReadiness({ gateway: 'shutting down' });
  const checks: Record<string, string> = { upstream: await gateway.upstream.check(), ...(await gateway.upstream.otherChecks()) };
  if (gateway.redis) checks.redis = await pingRedis(gateway.redis);
  return judgeReadiness(checks);
}

function refuseOpenAws(config: GatewayConfig) {
  if (config.upstream.kind === 'aws' && isOpen(config) && !config.access.insecure) {
    throw new ConfigError(
      explainAws(
        config.upstream,
        'refusing to serve AWS with no access control: set GATEWAY_API_KEYS, GATEWAY_JWT_SECRET or ' +
          'GATEWAY_JWKS_URL, or start with --insecure (GATEWAY_INSECURE=true) to run open on purpose',
      ),
    );
  }
}

/** The in-process AmplifyBackend of `upstream.kind: 'embedded'`; the one place the gateway starts the emulator. */
async function startEmbeddedEmulator(upstream: UpstreamConfig) {
  if (upstream.kind !== 'embedded') return undefined;
  const { startEmulator } = await import('./emulator/server.js');
  return startEmulator({
    port: upstream.emulatorPort,
    // Loopback whatever HOST is: the emulator has no authentication, and /_emulator/state shows secrets.
    host: '127.0.0.1',
    clock: 'system',
    seed: 'demo',
    stateFile: upstream.stateFile,
    jobDurationMs: upstream.jobSeconds * 1000,
  });
}

export type Gateway = Awaited<ReturnType<typeof createGateway>>;
