import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getOperationAST } from 'graphql';
import { createYoga, type GraphiQLOptions, type Plugin } from 'graphql-yoga';
import type { DestinationStream } from 'pino';
import { createAmplifyBackend, type AwsOptions } from './aws/client.js';
import { UpstreamError } from './aws/errors.js';
import { ConfigError, isOpen, type GatewayConfig } from './config.js';
import { createContext } from './context.js';
import { createReadCache } from './read-cache.js';
import { explainAws } from './upstream-choice.js';
import { circuitOpen, judgeReadiness } from './readiness.js';
import { maskError } from './errors.js';
import { answerClientError, createHttpHandler } from './http.js';
import { createEventBus } from './jobs/events.js';
import { createMemoryLeases, createRedisLeases } from './jobs/lease.js';
import type { Scheduler } from './jobs/scheduler.js';
import { countStuck, type JobTiming } from './jobs/stuck.js';
import { createJobWatcher } from './jobs/watcher.js';
import { createLogger, yogaLogger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { closeRedis, connectRedis, pingRedis } from './redis.js';
import { schema } from './schema/index.js';
import { createAuthenticator } from './security/access.js';
import { createAuthFailureGuard, createCredentialCheck } from './security/auth-failures.js';
import { useGraphiQLPage } from './graphiql.js';
import { limitPlugins } from './security/limits.js';
import { useSharedSubscriptions } from './shared-subscriptions.js';
import { useAccessControl, type ServerContext } from './security/plugin.js';
import { createClientAddress } from './security/client-address.js';
import { createRateLimiter, createRedisRateLimiter } from './security/rate-limit.js';
import { attachWebSocket } from './websocket.js';

const exampleQuery = `# An app, its environments, their resources and latest jobs.
# Every field maps to AmplifyBackend calls, batched and deduplicated per request.
query Demo {
  app(appId: "d1todoapp00001") {
    appName
    environments {
      name
      apis { resourceName config { apiName defaultAuthType { mode } } models { status } }
      auth { resourceName config { userPoolConfigs { signInMethod mfa { mfaMode } } } }
      storages { resourceName config { bucketName permissions { authenticated } } }
      jobs(first: 3) { edges { node { operation state createTime } } }
    }
  }
}
`;

// Static credentials for the embedded emulator, which checks no signature.
const emulatorCredentials = { accessKeyId: 'AKIDEMBEDDEDEMULATOR', secretAccessKey: 'embedded-emulator' };

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
  } = {},
) {
  const upstream = config.upstream;
  if (upstream.kind === 'aws' && isOpen(config) && !config.access.insecure) {
    throw new ConfigError(
      explainAws(
        upstream,
        'refusing to serve AWS with no access control: set GATEWAY_API_KEYS, GATEWAY_JWT_SECRET or ' +
          'GATEWAY_JWKS_URL, or start with --insecure (GATEWAY_INSECURE=true) to run open on purpose',
      ),
    );
  }
  const logger = createLogger(config.logLevel, overrides.logDestination);
  const authenticator = createAuthenticator(config.access);
  // Read before anything starts: a bad file stops the start with its name.
  const limits = await limitPlugins(config.limits);

  const emulator =
    upstream.kind === 'embedded'
      ? await (await import('./emulator/server.js')).startEmulator({
          port: upstream.emulatorPort,
          // Loopback whatever HOST is: the emulator has no authentication, and /_emulator/state shows secrets.
          host: '127.0.0.1',
          clock: 'system',
          seed: 'demo',
          stateFile: upstream.stateFile,
          jobDurationMs: upstream.jobSeconds * 1000,
        })
      : undefined;

  let onUpstreamCall: AwsOptions['onCall'];
  const awsOptions: AwsOptions = {
    maxAttempts: config.upstreamMaxAttempts,
    requestTimeoutMs: config.upstreamTimeoutMs,
    resilience: config.resilience,
    onCall: (event) => onUpstreamCall?.(event),
    ...(emulator
      ? { endpoint: emulator.url, region: 'us-east-1', credentials: emulatorCredentials }
      : upstream.kind === 'aws'
        ? { endpoint: upstream.endpoint, region: upstream.region, credentials: upstream.credentials }
        : {}),
  };
  const aws = createAmplifyBackend(awsOptions);
  const reads = createReadCache(aws, { ttlMs: config.upstreamCacheTtlMs });

  const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger) : undefined;
  const rate = { perMinute: config.limits.rateLimitPerMinute, burst: config.limits.rateLimitBurst };
  // With Redis, every instance takes from one bucket per client: the rate is the cluster's.
  const rateLimiter = redis
    ? createRedisRateLimiter(redis.publish, { ...rate, prefix: config.redisPrefix, outage: redis.outage })
    : createRateLimiter(rate);
  const bus = createEventBus({ redis, prefix: config.redisPrefix });
  const leases = redis
    ? createRedisLeases(redis.publish, { owner: randomUUID(), ttlMs: config.jobLeaseMs, prefix: config.redisPrefix, outage: redis.outage })
    : createMemoryLeases(config.jobLeaseMs);
  // The embedded emulator stamps createTime by its own clock, which `advance` may have moved on.
  const jobTiming: JobTiming = {
    now: overrides.now ?? (emulator ? () => emulator.clock.now() : Date.now),
    stuckAfterSeconds: config.jobStuckAfterSeconds,
  };

  const jobs = createJobWatcher({
    aws,
    bus,
    leases,
    polling: config.jobPolling,
    renewEveryMs: redis ? config.jobLeaseMs / 3 : Infinity,
    scheduler: overrides.scheduler,
    onJobFinished: (appId) => reads.forgetApp(appId),
    // The service's clock: stuck jobs are marked by it, and expected job ends read on it.
    timing: jobTiming,
  });

  const metrics = createMetrics({
    pollers: () => jobs.stats().pollers,
    stuckJobs: () => countStuck(jobs.polledJobs(), jobTiming),
    circuit: () => aws.health().circuit,
  });
  onUpstreamCall = metrics.onUpstreamCall;

  // Watching one job is a state stream: its subscribers can share one execution per change.
  const sharedSubscriptions = useSharedSubscriptions({ stateFields: new Set(['backendJob']) });

  // GraphiQL with its assets bundled (9 MB, loaded on the first page view; useGraphiQLPage keeps it)
  // instead of yoga's default that loads them from a CDN: the page works offline and loads no
  // third-party script beside the credentials typed into it.
  const renderGraphiQL = () =>
    import('@graphql-yoga/render-graphiql').then((m) =>
      m.renderGraphiQL({ defaultQuery: exampleQuery, title: 'amplifybackend-graphql' } satisfies GraphiQLOptions),
    );
  // Failed authentications per client address: refused past a limit, logged as a summary.
  const authFailures = createAuthFailureGuard({
    perMinute: config.access.authFailuresPerMinute,
    burst: config.access.authFailureBurst,
    logger,
  });
  const checkCredentials = createCredentialCheck({ authenticator, failures: authFailures, logger });

  const yoga = createYoga<ServerContext>({
    schema,
    context: (request) => createContext(aws, reads, jobs, request, jobTiming),
    maskedErrors: { maskError },
    // Served by useGraphiQLPage instead, compressed and rate-limited.
    graphiql: false,
    landingPage: false,
    logging: yogaLogger(logger),
    healthCheckEndpoint: false as never,
    // Enforced, more cheaply, by the limits plugins.
    maxRequestBodySize: false,
    batching: config.limits.maxBatch > 0 ? { limit: config.limits.maxBatch } : false,
    plugins: [
      ...(config.graphiql
        ? [useGraphiQLPage({ endpoint: '/graphql', render: renderGraphiQL, perMinute: config.graphiqlPerMinute })]
        : []),
      useAccessControl({ checkCredentials, rateLimiter }),
      ...limits,
      metrics.plugin,
      useOperationName(),
      // After the access check: a subscriber joins a shared stream only once let in.
      sharedSubscriptions.plugin,
    ],
  });

  let stopping: Promise<void> | undefined;
  let probe: { at: number; result: string } | undefined;

  async function upstreamCheck(): Promise<string> {
    if (aws.health().circuit === 'open') return circuitOpen;
    if (probe && Date.now() - probe.at < 5000) return probe.result;
    let result = 'ok';
    try {
      await aws.call('GetBackend', { appId: 'readiness-probe' });
    } catch (error) {
      // An answer about the app proves AmplifyBackend is reachable with these credentials; another
      // refusal (a path that is no operation: a wrong endpoint) does not.
      const answered =
        error instanceof UpstreamError && (error.code === 'NOT_FOUND' || error.awsErrorName === 'BadRequestException');
      if (!answered) result = error instanceof UpstreamError ? `${error.code}: ${error.message}` : String(error);
    }
    probe = { at: Date.now(), result };
    return result;
  }

  const http = createHttpHandler({
    graphql: yoga as never,
    logger,
    registry: metrics.registry,
    metricsToken: config.metricsToken,
    async readiness() {
      if (stopping) return judgeReadiness({ gateway: 'shutting down' });
      const checks: Record<string, string> = { upstream: await upstreamCheck() };
      if (redis) checks.redis = await pingRedis(redis);
      return judgeReadiness(checks);
    },
  });

  const server = createServer(http.handler);
  // Before any other listener: every limit and log line by address reads what is stamped here.
  const clientAddress = createClientAddress(config.trustProxy);
  server.prependListener('request', clientAddress.stamp);
  server.prependListener('upgrade', clientAddress.stamp);
  server.on('clientError', answerClientError);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Frames are bounded like request bodies.
  const ws = attachWebSocket({ server, yoga, checkCredentials, rateLimiter, logger, maxPayloadBytes: config.limits.maxBodyBytes });

  let url: string | undefined;

  async function stop(abandonLeases: boolean) {
    const closed = new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    // Subscriptions end first (their `complete` goes out), then requests in flight may finish.
    await jobs.stop({ abandon: abandonLeases });
    await new Promise((resolve) => setImmediate(resolve));
    await ws.dispose();
    authFailures.stop();
    server.closeIdleConnections();
    await http.drained(config.shutdownGraceMs);
    for (const socket of sockets) socket.destroy();
    await closed;
    await yoga.dispose();
    aws.destroy();
    if (redis) await closeRedis(redis);
    await emulator?.stop();
    logger.info('gateway stopped');
    logger.flush?.();
  }

  return {
    yoga,
    aws,
    emulator,
    server,
    jobs,
    logger,
    metrics,
    /** Subscriptions held open by clients, and the shared streams serving them. */
    subscriptions: () => ({ clients: metrics.activeSubscriptions(), ...sharedSubscriptions.stats() }),
    /** The id of the HTTP request the calling code runs for, if any (for crash logs). */
    currentRequestId: http.currentRequestId,
    /** Whether anybody is let in without a credential. */
    open: authenticator.open,
    get url() {
      return url;
    },
    /** Listens on `port` (0: any free port) and resolves with the GraphQL endpoint's URL. */
    async start(port = config.port, host = config.host): Promise<string> {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      url = `http://${shown}:${address.port}/graphql`;
      logger.info({ url, open: authenticator.open, upstream: emulator ? 'embedded emulator' : 'AmplifyBackend' }, 'gateway listening');
      return url;
    },
    /**
     * Stops accepting, completes open subscriptions, stops pollers and releases their leases,
     * lets requests in flight finish (up to shutdownGraceMs), then closes every socket.
     * `abandonLeases` leaves leases to expire, as a crash would.
     */
    stop({ abandonLeases = false }: { abandonLeases?: boolean } = {}): Promise<void> {
      stopping ??= stop(abandonLeases);
      return stopping;
    },
  };
}

export type Gateway = Awaited<ReturnType<typeof createGateway>>;

/** Puts the operation name on the request, for its log line. */
function useOperationName(): Plugin<{}, ServerContext> {
  return {
    onParams({ params, context }) {
      const meta = (context as Partial<ServerContext> | undefined)?.req?.meta;
      if (meta && typeof params.operationName === 'string') meta.operationName = params.operationName.slice(0, 100);
    },
    // Without an operationName in the request, the executed operation's own name.
    onExecute({ args }) {
      const meta = (args.contextValue as Partial<ServerContext> | undefined)?.req?.meta;
      if (meta && !meta.operationName) {
        const operation = getOperationAST(args.document, args.operationName);
        meta.operationName = operation?.name?.value.slice(0, 100);
      }
    },
  };
}
