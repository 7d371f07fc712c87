import { AmplifyClient, GetAppCommand, ListAppsCommand, type App } from '@aws-sdk/client-amplify';
import { markFailureStage, toUpstreamError } from './errors.js';
import { refuseBadPathLabels } from './path-segment.js';
import type { AwsCredentials, CallOptions, ConsoleOperationName, UpstreamCallEvent, UpstreamInstrument } from './client.js';
import type { Resilience } from './resilience.js';

/** Every console operation the gateway can send (for its IAM policy). */
export const consoleOperationNames: readonly ConsoleOperationName[] = ['GetApp', 'ListApps'];

/** An Amplify app as the graph reads it; the rest of the SDK's `App` (build specs, basic-auth credentials) never enters. */
export interface ConsoleApp {
  appId: string;
  name: string | null;
  platform: string | null;
  defaultDomain: string | null;
  appArn: string | null;
  /** ISO 8601. */
  createTime: string | null;
  updateTime: string | null;
}

export interface AmplifyConsole {
  listApps(input: { nextToken?: string; maxResults?: number }, options?: CallOptions): Promise<{ apps: ConsoleApp[]; nextToken?: string }>;
  getApp(appId: string, options?: CallOptions): Promise<ConsoleApp>;
  destroy(): void;
}

export interface ConsoleOptions {
  /** Undefined: the SDK's default chain's. */
  region: string | undefined;
  endpoint?: string;
  credentials?: AwsCredentials;
  maxAttempts?: number;
  requestTimeoutMs?: number;
  /** The region's own queue and breaker, shared with its AmplifyBackend calls. */
  resilience: Resilience;
  onCall?: (event: UpstreamCallEvent) => void;
  instrument?: UpstreamInstrument;
}

const iso = (date: Date | undefined) => (date instanceof Date && !Number.isNaN(date.getTime()) ? date.toISOString() : null);

export const toConsoleApp = (app: Partial<App>): ConsoleApp => ({
  appId: app.appId ?? '',
  name: app.name ?? null,
  platform: app.platform ?? null,
  defaultDomain: app.defaultDomain ?? null,
  appArn: app.appArn ?? null,
  createTime: iso(app.createTime),
  updateTime: iso(app.updateTime),
});

/**
 * The one place that sends Amplify console commands, for one region: through the same queue and
 * circuit breaker as that region's AmplifyBackend calls, failures as `UpstreamError`.
 */
export function createAmplifyConsole(options: ConsoleOptions): AmplifyConsole {
  const client = new AmplifyClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
    maxAttempts: options.maxAttempts ?? 3,
    retryMode: 'standard',
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      throwOnRequestTimeout: true,
      connectionTimeout: Math.min(options.requestTimeoutMs ?? 10_000, 5_000),
    },
  });
  client.middlewareStack.remove('loggerMiddleware');
  client.middlewareStack.use(markFailureStage as Parameters<AmplifyClient['middlewareStack']['use']>[0]);

  type SendOptions = { abortSignal?: AbortSignal };
  async function call<T>(operation: ConsoleOperationName, sdkSend: (o: SendOptions) => Promise<T>, callOptions?: CallOptions): Promise<T> {
    const started = performance.now();
    try {
      const send = () =>
        options.resilience.run(operation, async () => {
          try {
            return await sdkSend(callOptions?.signal ? { abortSignal: callOptions.signal } : {});
          } catch (error) {
            throw toUpstreamError(operation, error);
          }
        }, { client: callOptions?.client, onWaiting: callOptions?.onWaiting });
      const output = (await (options.instrument ? options.instrument(operation, send) : send())) as T & {
        $metadata?: { attempts?: number };
      };
      options.onCall?.({ operation, ok: true, durationMs: performance.now() - started, attempts: output.$metadata?.attempts ?? 1 });
      return output;
    } catch (error) {
      const upstream = toUpstreamError(operation, error);
      options.onCall?.({ operation, ok: false, errorCode: upstream.code, durationMs: performance.now() - started, attempts: upstream.attempts });
      throw upstream;
    }
  }

  return {
    async listApps(input, callOptions) {
      const out = await call('ListApps', (o) => client.send(new ListAppsCommand(input), o), callOptions);
      return { apps: (out.apps ?? []).filter((a) => typeof a.appId === 'string').map(toConsoleApp), nextToken: out.nextToken || undefined };
    },
    async getApp(appId, callOptions) {
      refuseBadPathLabels('GetApp', { appId });
      const out = await call('GetApp', (o) => client.send(new GetAppCommand({ appId }), o), callOptions);
      return toConsoleApp({ ...out.app, appId: out.app?.appId ?? appId });
    },
    destroy: () => client.destroy(),
  };
}
