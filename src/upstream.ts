import { createAmplifyBackend, type AmplifyBackend, type AwsOptions } from './aws/client.js';
import { UpstreamError } from './aws/errors.js';
import type { GatewayConfig } from './config.js';
import { createReadCache } from './read-cache.js';
import { circuitOpen } from './readiness.js';

// Static credentials for the embedded emulator, which checks no signature.
const emulatorCredentials = { accessKeyId: 'AKIDEMBEDDEDEMULATOR', secretAccessKey: 'embedded-emulator' };

/**
 * The gateway's side of AmplifyBackend: the SDK client (retries, timeouts, the upstream queue and
 * circuit breaker of `config.resilience`), the read cache requests share, and the readiness probe.
 * `emulatorUrl` is the embedded emulator's, which then stands for AmplifyBackend.
 */
export function createUpstream(
  config: GatewayConfig,
  options: {
    emulatorUrl?: string;
    onCall: NonNullable<AwsOptions['onCall']>;
    instrument?: AwsOptions['instrument'];
    /** What kept reads expire by: the gateway's scheduler's clock. @default Date.now */
    now?: () => number;
  },
) {
  const aws = createAmplifyBackend({
    maxAttempts: config.upstreamMaxAttempts,
    requestTimeoutMs: config.upstreamTimeoutMs,
    resilience: config.resilience,
    onCall: options.onCall,
    instrument: options.instrument,
    ...endpointOf(config.upstream, options.emulatorUrl),
  });
  return {
    aws,
    reads: createReadCache(aws, { ttlMs: config.upstreamCacheTtlMs, now: options.now }),
    /** 'ok', or why AmplifyBackend cannot be reached; asked at most every 5 s. */
    check: createUpstreamCheck(aws),
  };
}

export type Upstream = ReturnType<typeof createUpstream>;

function endpointOf(upstream: GatewayConfig['upstream'], emulatorUrl: string | undefined): AwsOptions {
  if (emulatorUrl) return { endpoint: emulatorUrl, region: 'us-east-1', credentials: emulatorCredentials };
  if (upstream.kind === 'aws') return { endpoint: upstream.endpoint, region: upstream.region, credentials: upstream.credentials };
  return {};
}

function createUpstreamCheck(aws: AmplifyBackend) {
  let probe: { at: number; result: string } | undefined;
  return async function upstreamCheck(): Promise<string> {
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
  };
}
