import {
  AmplifyBackendClient,
  CloneBackendCommand,
  CreateBackendAPICommand,
  CreateBackendAuthCommand,
  CreateBackendCommand,
  CreateBackendConfigCommand,
  CreateBackendStorageCommand,
  CreateTokenCommand,
  DeleteBackendAPICommand,
  DeleteBackendAuthCommand,
  DeleteBackendCommand,
  DeleteBackendStorageCommand,
  DeleteTokenCommand,
  GenerateBackendAPIModelsCommand,
  GetBackendAPICommand,
  GetBackendAPIModelsCommand,
  GetBackendAuthCommand,
  GetBackendCommand,
  GetBackendJobCommand,
  GetBackendStorageCommand,
  GetTokenCommand,
  ImportBackendAuthCommand,
  ImportBackendStorageCommand,
  ListBackendJobsCommand,
  ListS3BucketsCommand,
  RemoveAllBackendsCommand,
  RemoveBackendConfigCommand,
  UpdateBackendAPICommand,
  UpdateBackendAuthCommand,
  UpdateBackendConfigCommand,
  UpdateBackendJobCommand,
  UpdateBackendStorageCommand,
  type $Command,
} from '@aws-sdk/client-amplifybackend';
import { markFailureStage, toUpstreamError, UpstreamError } from './errors.js';
import { fromSdk, toSdk, type Camel, type CamelInput } from './map.js';
import { refuseBadPathLabels } from './path-segment.js';
import { createResilience, type Resilience, type ResilienceOptions, type RunOptions } from './resilience.js';

const commands = {
  CloneBackend: CloneBackendCommand,
  CreateBackend: CreateBackendCommand,
  CreateBackendAPI: CreateBackendAPICommand,
  CreateBackendAuth: CreateBackendAuthCommand,
  CreateBackendConfig: CreateBackendConfigCommand,
  CreateBackendStorage: CreateBackendStorageCommand,
  CreateToken: CreateTokenCommand,
  DeleteBackend: DeleteBackendCommand,
  DeleteBackendAPI: DeleteBackendAPICommand,
  DeleteBackendAuth: DeleteBackendAuthCommand,
  DeleteBackendStorage: DeleteBackendStorageCommand,
  DeleteToken: DeleteTokenCommand,
  GenerateBackendAPIModels: GenerateBackendAPIModelsCommand,
  GetBackend: GetBackendCommand,
  GetBackendAPI: GetBackendAPICommand,
  GetBackendAPIModels: GetBackendAPIModelsCommand,
  GetBackendAuth: GetBackendAuthCommand,
  GetBackendJob: GetBackendJobCommand,
  GetBackendStorage: GetBackendStorageCommand,
  GetToken: GetTokenCommand,
  ImportBackendAuth: ImportBackendAuthCommand,
  ImportBackendStorage: ImportBackendStorageCommand,
  ListBackendJobs: ListBackendJobsCommand,
  ListS3Buckets: ListS3BucketsCommand,
  RemoveAllBackends: RemoveAllBackendsCommand,
  RemoveBackendConfig: RemoveBackendConfigCommand,
  UpdateBackendAPI: UpdateBackendAPICommand,
  UpdateBackendAuth: UpdateBackendAuthCommand,
  UpdateBackendConfig: UpdateBackendConfigCommand,
  UpdateBackendJob: UpdateBackendJobCommand,
  UpdateBackendStorage: UpdateBackendStorageCommand,
} as const;

type Commands = typeof commands;
export type OperationName = keyof Commands;
type SdkInput<K extends OperationName> = ConstructorParameters<Commands[K]>[0];
type SdkOutput<K extends OperationName> =
  InstanceType<Commands[K]> extends $Command<any, infer O, any, any, any> ? Omit<O, '$metadata'> : never;
/** An operation's input, camelCased (`{ appId, backendEnvironmentName }`). */
export type OperationInput<K extends OperationName> = CamelInput<SdkInput<K>>;
/** An operation's output, camelCased, without the SDK's `$metadata`. */
export type OperationOutput<K extends OperationName> = Camel<SdkOutput<K>>;

export const operationNames = Object.keys(commands) as OperationName[];

/** Static credentials, or a provider the SDK asks again before they expire. */
export type AwsCredentials = NonNullable<NonNullable<ConstructorParameters<typeof AmplifyBackendClient>[0]>['credentials']>;

export interface AwsOptions {
  /** Region to sign for. With an `endpoint` and no region, 'us-east-1'. */
  region?: string;
  /**
   * An AmplifyBackend endpoint (the emulator, or a proxy). Without it the SDK resolves the
   * regional AWS endpoint, or `AWS_ENDPOINT_URL_AMPLIFYBACKEND` when that is set.
   */
  endpoint?: string;
  /** Without them, the SDK's default credential chain; a provider for an assumed role (see assume-role.ts). */
  credentials?: AwsCredentials;
  /** Total attempts per call, the first included, with the SDK's standard backoff. @default 3 */
  maxAttempts?: number;
  /** Abort an upstream request that has not answered in time. @default 10000 */
  requestTimeoutMs?: number;
  /** Told of every upstream call once it settles, for metrics and tests. */
  onCall?: (event: UpstreamCallEvent) => void;
  /** Concurrency cap and circuit breaker. */
  resilience?: ResilienceOptions;
  /** A queue and breaker made by the caller, shared with its other clients of one region; `resilience` is then unused. */
  sharedResilience?: Resilience;
  /** Runs around every call (its wait in the queue and the SDK's retries included): tracing's span. */
  instrument?: UpstreamInstrument;
}

/** `send` resolves with the SDK's output (`$metadata` included) or rejects with an `UpstreamError`. */
export type UpstreamInstrument = (operation: OperationName | ConsoleOperationName, send: () => Promise<unknown>) => Promise<unknown>;

/** The Amplify service's own (console API) operations the gateway sends (see console.ts). */
export type ConsoleOperationName = 'ListApps' | 'GetApp';

export interface UpstreamCallEvent {
  operation: OperationName | ConsoleOperationName;
  ok: boolean;
  errorCode?: string;
  durationMs: number;
  attempts: number;
}

/** `client` and `onWaiting` decide whose turn in the upstream queue the call takes (see resilience.ts). */
export interface CallOptions extends RunOptions {
  signal?: AbortSignal;
}

export interface AmplifyBackend {
  call<K extends OperationName>(operation: K, input: OperationInput<K>, options?: CallOptions): Promise<OperationOutput<K>>;
  /** The circuit breaker's state, and the calls in flight and waiting. */
  health(): { circuit: 'closed' | 'open' | 'halfOpen'; inFlight: number; queued: number };
  destroy(): void;
}

/** The one place that sends AmplifyBackend commands; failures come out as `UpstreamError`. */
export function createAmplifyBackend(options: AwsOptions = {}): AmplifyBackend {
  const client = new AmplifyBackendClient({
    region: options.region ?? (options.endpoint ? 'us-east-1' : undefined),
    endpoint: options.endpoint,
    credentials: options.credentials,
    maxAttempts: options.maxAttempts ?? 3,
    retryMode: 'standard',
    // Resolve each command's middleware stack once, not on every call (about a fifth of the SDK's
    // CPU per call); the SDK keeps one handler per command class. Used for calls without options.
    cacheMiddleware: true,
    // The SDK builds its own node:http handler from these options.
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      // Without it the SDK only logs a warning and keeps waiting.
      throwOnRequestTimeout: true,
      connectionTimeout: Math.min(options.requestTimeoutMs ?? 10_000, 5_000),
    },
  });

  // The SDK's logger middleware copies every input and output through its sensitive-data filter
  // for a logger it is not given (a no-op): the gateway logs calls itself, through onCall.
  client.middlewareStack.remove('loggerMiddleware');
  // How far a failed request got: whether it is the upstream's failure or the request's.
  client.middlewareStack.use(markFailureStage);

  const resilience = options.sharedResilience ?? createResilience(options.resilience);

  return {
    async call(operation, input, callOptions) {
      // The last line of defence, whatever called: nothing that is not a segment becomes one.
      refuseBadPathLabels(operation, input);
      const Command = commands[operation] as unknown as new (input: unknown) => $Command<any, any, any, any, any>;
      const started = performance.now();
      try {
        const send = () => resilience.run(operation, async () => {
          try {
            const command = new Command(toSdk(input));
            // Options bypass the handler cache: pass them only when there is a signal.
            return await (callOptions?.signal ? client.send(command, { abortSignal: callOptions.signal }) : client.send(command));
          } catch (error) {
            throw toUpstreamError(operation, error);
          }
        }, { client: callOptions?.client, onWaiting: callOptions?.onWaiting });
        const output = await (options.instrument ? options.instrument(operation, send) : send());
        const attempts = (output as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
        options.onCall?.({ operation, ok: true, durationMs: performance.now() - started, attempts });
        return fromSdk(output) as OperationOutput<typeof operation>;
      } catch (error) {
        const upstream = toUpstreamError(operation, error);
        options.onCall?.({
          operation,
          ok: false,
          errorCode: upstream.code,
          durationMs: performance.now() - started,
          attempts: upstream.attempts,
        });
        throw upstream;
      }
    },
    health: () => ({ circuit: resilience.state(), inFlight: resilience.inFlight(), queued: resilience.queued() }),
    destroy: () => {
      if (!options.sharedResilience) resilience.shutdown();
      client.destroy();
    },
  };
}

