import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createYoga } from 'graphql-yoga';
import { createAmplifyBackend, type AwsOptions } from './aws/client.js';
import type { GatewayConfig } from './config.js';
import { createContext } from './context.js';
import { maskError } from './errors.js';
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
export async function createGateway(config: GatewayConfig) {
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

  const yoga = createYoga({
    schema,
    context: () => createContext(aws),
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

  let url: string | undefined;

  return {
    yoga,
    aws,
    emulator,
    server,
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
    async stop() {
      await new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeIdleConnections();
        for (const socket of sockets) socket.destroy();
      });
      aws.destroy();
      await emulator?.stop();
    },
  };
}

export type Gateway = Awaited<ReturnType<typeof createGateway>>;
