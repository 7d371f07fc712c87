import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import { createAmplifyBackend, type AwsOptions } from './aws/client.js';
import type { GatewayConfig } from './config.js';
import { createContext } from './context.js';
import { maskError } from './errors.js';
import { createEventBus } from './jobs/events.js';
import { createMemoryLeases, createRedisLeases } from './jobs/lease.js';
import type { Scheduler } from './jobs/scheduler.js';
import { createJobWatcher } from './jobs/watcher.js';
import { schema } from './schema/index.js';

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
export async function createGateway(config: GatewayConfig, overrides: { scheduler?: Scheduler } = {}) {
  const upstream = config.upstream;
  const emulator =
    upstream.kind === 'embedded'
      ? await (await import('./emulator/server.js')).startEmulator({
          port: upstream.emulatorPort,
          host: upstream.emulatorHost,
          clock: 'system',
          seed: 'demo',
          stateFile: upstream.stateFile,
          jobDurationMs: upstream.jobSeconds * 1000,
        })
      : undefined;

  const awsOptions: AwsOptions = {
    maxAttempts: config.upstreamMaxAttempts,
    requestTimeoutMs: config.upstreamTimeoutMs,
    ...(emulator
      ? { endpoint: emulator.url, region: 'us-east-1', credentials: emulatorCredentials }
      : upstream.kind === 'aws'
        ? { endpoint: upstream.endpoint, region: upstream.region, credentials: upstream.credentials }
        : {}),
  };
  const aws = createAmplifyBackend(awsOptions);

  const redis = config.redisUrl ? await connectRedis(config.redisUrl) : undefined;
  const bus = createEventBus({ redis, prefix: config.redisPrefix });
  const leases = redis
    ? createRedisLeases(redis.publish, { owner: randomUUID(), ttlMs: config.jobLeaseMs, prefix: config.redisPrefix })
    : createMemoryLeases(config.jobLeaseMs);
  const jobs = createJobWatcher({
    aws,
    bus,
    leases,
    polling: config.jobPolling,
    renewEveryMs: redis ? config.jobLeaseMs / 3 : Infinity,
    scheduler: overrides.scheduler,
  });

  const yoga = createYoga({
    schema,
    context: () => createContext(aws, jobs),
    maskedErrors: { maskError },
    graphiql: config.graphiql ? { defaultQuery: exampleQuery, title: 'amplifybackend-graphql' } : false,
    landingPage: false,
    logging: 'warn',
  });

  const server = createServer(yoga);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  // graphql-ws on the same path, through yoga's envelop so both transports share one pipeline.
  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  const ws = useServer(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      onSubscribe: async (ctx, _id, payload) => {
        const enveloped = yoga.getEnveloped({ ...ctx, req: ctx.extra.request, socket: ctx.extra.socket, params: payload });
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document: enveloped.parse(payload.query),
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
        const errors = enveloped.validate(args.schema, args.document);
        return errors.length > 0 ? errors : args;
      },
    },
    wss,
  );

  let url: string | undefined;
  let stopping: Promise<void> | undefined;

  async function stop(abandonLeases: boolean) {
    const closed = new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    await jobs.stop({ abandon: abandonLeases });
    // Let the `complete` messages of the ended subscriptions reach their sockets first.
    await new Promise((resolve) => setImmediate(resolve));
    await ws.dispose();
    server.closeIdleConnections();
    for (const socket of sockets) socket.destroy();
    await closed;
    await yoga.dispose();
    aws.destroy();
    if (redis) await Promise.all([redis.publish.quit(), redis.subscribe.quit()]).catch(() => undefined);
    await emulator?.stop();
  }

  return {
    yoga,
    aws,
    emulator,
    server,
    jobs,
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
      return url;
    },
    /**
     * Stops accepting, completes open subscriptions, stops pollers and releases their leases,
     * then closes every socket. `abandonLeases` leaves leases to expire, as a crash would.
     */
    stop({ abandonLeases = false }: { abandonLeases?: boolean } = {}): Promise<void> {
      stopping ??= stop(abandonLeases);
      return stopping;
    },
  };
}

export type Gateway = Awaited<ReturnType<typeof createGateway>>;

type Enveloped = { execute: (args: ExecutionArgs) => never; subscribe: (args: ExecutionArgs) => never };

/** Two connections: one publishes and runs lease scripts, the other is held by SUBSCRIBE. */
async function connectRedis(url: string) {
  const connect = async () => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, connectTimeout: 5000 });
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw new Error(`cannot reach Redis at REDIS_URL (${redact(url)}): ${(error as Error).message}`);
    }
    return client;
  };
  const publish = await connect();
  const subscribe = await connect().catch((error: unknown) => {
    publish.disconnect();
    throw error;
  });
  return { publish, subscribe };
}

const redact = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');
