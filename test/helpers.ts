import { AmplifyBackendClient } from '@aws-sdk/client-amplifybackend';
import { defineConfig, type GatewayConfig } from '../src/config.js';
import { startEmulator, type EmulatorOptions } from '../src/emulator/server.js';
import { createGateway } from '../src/server.js';

export const fakeCredentials = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' };

/** An emulator on 127.0.0.1, port 0, on a manual clock. */
export function startTestEmulator(options: EmulatorOptions = {}) {
  return startEmulator({ port: 0, host: '127.0.0.1', ...options });
}

/** The real SDK client pointed at an emulator, so its serializer and deserializer run. */
export function sdkClient(url: string, maxAttempts = 1) {
  return new AmplifyBackendClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: fakeCredentials,
    maxAttempts,
  });
}

/** A minimal valid CreateBackendAuth resource config. */
export const authConfig = () => ({
  AuthResources: 'USER_POOL_ONLY' as const,
  Service: 'COGNITO' as const,
  UserPoolConfigs: {
    RequiredSignUpAttributes: ['EMAIL' as const],
    SignInMethod: 'EMAIL' as const,
    UserPoolName: 'pool',
  },
});

/**
 * An emulator (manual clock) and a gateway in front of it, the gateway's SDK talking to the
 * emulator over real HTTP. Queries go in-process through `yoga.fetch`.
 */
export async function startStack(
  options: { emulator?: EmulatorOptions; gateway?: Partial<GatewayConfig> } = {},
) {
  const emulator = await startTestEmulator({ seed: 'demo', ...options.emulator });
  const gateway = await createGateway(
    defineConfig({
      upstream: { kind: 'aws', endpoint: emulator.url, region: 'us-east-1', credentials: fakeCredentials },
      upstreamMaxAttempts: 1,
      ...options.gateway,
    }),
  );

  async function request(body: unknown, headers: Record<string, string> = {}) {
    const res = await gateway.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as GraphQLResponse };
  }

  return {
    emulator,
    gateway,
    request,
    /** Runs an operation; the whole response, `data` and `errors`. */
    async graphql<T = any>(query: string, variables?: Record<string, unknown>) {
      return (await request({ query, variables })).body as GraphQLResponse<T>;
    },
    /** Upstream calls made since the last `resetCalls`, by operation name. */
    calls: () => emulator.stats(),
    resetCalls: () => emulator.resetStats(),
    /** Total upstream calls since the last `resetCalls`. */
    totalCalls: () => Object.values(emulator.stats()).reduce((a, b) => a + (b ?? 0), 0),
    async stop() {
      await gateway.stop();
      await emulator.stop();
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

export interface GraphQLResponse<T = any> {
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

/** Decodes a Relay global id into its type name and key parts. */
export function decodeId(globalId: string): { typename: string; key: string[] } {
  const text = Buffer.from(globalId, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return { typename: text.slice(0, colon), key: JSON.parse(text.slice(colon + 1)) as string[] };
}
