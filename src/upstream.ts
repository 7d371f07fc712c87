import { assumedRoleCredentials } from './aws/assume-role.js';
import { createAmplifyBackend, type AmplifyBackend, type AwsCredentials, type AwsOptions } from './aws/client.js';
import { createAmplifyConsole } from './aws/console.js';
import { UpstreamError } from './aws/errors.js';
import { createResilience } from './aws/resilience.js';
import { createAppDirectory } from './app-directory.js';
import { DEFAULT_ACCOUNT } from './config-regions.js';
import type { GatewayConfig } from './config.js';
import { createReadCache } from './read-cache.js';
import { circuitOpen } from './readiness.js';
import { createUpstreamRouter, type UpstreamSource } from './upstream-router.js';

// Static credentials for the embedded emulator, which checks no signature.
const emulatorCredentials = { accessKeyId: 'AKIDEMBEDDEDEMULATOR', secretAccessKey: 'embedded-emulator' };

/** Where one source's calls go and as whom. */
interface SourceSpec {
  account: string;
  /** Undefined: the region of the SDK's default chain (AWS_PROFILE), named `default` in the graph. */
  region: string | undefined;
  /** Serves both AmplifyBackend and the Amplify console API (the emulator does); undefined: AWS's own. */
  endpoint?: string;
  credentials?: AwsCredentials;
}

/**
 * The gateway's side of AmplifyBackend and the Amplify console API: per (account, region) one SDK
 * client of each, created once, with that region's own queue, circuit breaker and read cache; a
 * router that sends each call to its app's region; the app directory (`apps`); readiness probes.
 * `emulatorUrl` is the embedded emulator's, which then stands for both, one region of one account.
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
  const sources = sourceSpecs(config.upstream, options.emulatorUrl).map((spec) => createSource(spec, config, options));
  // A write through the gateway may have added an app (CreateBackend): the lists are read afresh.
  const router = createUpstreamRouter(sources, { onForgetApp: () => directory.forget() });
  const directory = createAppDirectory(router, { ttlMs: config.upstreamCacheTtlMs, now: options.now });
  return {
    aws: router.aws,
    reads: router.reads,
    router,
    directory,
    /** 'ok', or why the default region cannot be reached; asked at most every 5 s. */
    check: router.home.check,
    /** The same of every other source, by `upstream account/region`. */
    async otherChecks(): Promise<Record<string, string>> {
      const others = sources.slice(1);
      const results = await Promise.all(others.map((s) => s.check()));
      return Object.fromEntries(others.map((s, i) => [`upstream ${s.key}`, results[i]]));
    },
  };
}

export type Upstream = ReturnType<typeof createUpstream>;

function sourceSpecs(upstream: GatewayConfig['upstream'], emulatorUrl: string | undefined): SourceSpec[] {
  if (emulatorUrl) return [{ account: DEFAULT_ACCOUNT, region: 'us-east-1', endpoint: emulatorUrl, credentials: emulatorCredentials }];
  if (upstream.kind !== 'aws') return [{ account: DEFAULT_ACCOUNT, region: 'us-east-1' }];
  // As createAmplifyBackend signs: an endpoint without a region is us-east-1.
  const home = upstream.region ?? (upstream.endpoint ? 'us-east-1' : undefined);
  const regions = upstream.regions ?? [home];
  const own: SourceSpec[] = regions.map((region) => ({
    account: DEFAULT_ACCOUNT,
    region,
    endpoint: (region && upstream.regionEndpoints?.[region]) ?? (region === home ? upstream.endpoint : undefined),
    credentials: upstream.credentials,
  }));
  const others = (upstream.accounts ?? []).flatMap((account) => {
    // One provider per account, shared by the clients of its regions.
    const credentials = assumedRoleCredentials(account, {
      region: home ?? account.regions[0],
      stsEndpoint: upstream.stsEndpoint,
      masterCredentials: upstream.credentials,
    });
    return account.regions.map((region) => ({ account: account.name, region, endpoint: account.endpoints?.[region], credentials }));
  });
  return [...own, ...others];
}

function createSource(
  spec: SourceSpec,
  config: GatewayConfig,
  options: { onCall: NonNullable<AwsOptions['onCall']>; instrument?: AwsOptions['instrument']; now?: () => number },
): UpstreamSource {
  const resilience = createResilience(config.resilience);
  const common = {
    region: spec.region,
    endpoint: spec.endpoint,
    credentials: spec.credentials,
    maxAttempts: config.upstreamMaxAttempts,
    requestTimeoutMs: config.upstreamTimeoutMs,
    onCall: options.onCall,
    instrument: options.instrument,
  };
  const aws = createAmplifyBackend({ ...common, sharedResilience: resilience });
  const console = createAmplifyConsole({ ...common, resilience });
  const region = spec.region ?? 'default';
  return {
    key: `${spec.account}/${region}`,
    account: spec.account,
    region,
    aws,
    console,
    reads: createReadCache(aws, { ttlMs: config.upstreamCacheTtlMs, now: options.now }),
    check: createUpstreamCheck(aws),
    destroy() {
      aws.destroy();
      console.destroy();
      resilience.shutdown();
    },
  };
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
