import { findAwsSigning } from './aws/credentials.js';
import { ConfigError, type GatewayConfig, type UpstreamConfig } from './config.js';

type AwsUpstream = Extract<UpstreamConfig, { kind: 'aws' }>;

/** Which setting made the gateway talk to AWS, as a user would recognise it; undefined when set in code. */
export function whyAws(upstream: AwsUpstream): string | undefined {
  switch (upstream.chosenBy) {
    case 'UPSTREAM':
      return 'UPSTREAM=aws, so the gateway talks to AWS AmplifyBackend';
    case 'AWS_REGION':
      return `AWS_REGION is set (${upstream.region}), so the gateway talks to AWS AmplifyBackend`;
    case 'AWS_ENDPOINT_URL_AMPLIFYBACKEND':
      return `AWS_ENDPOINT_URL_AMPLIFYBACKEND is set (${upstream.endpoint}), so the gateway talks to it as AmplifyBackend`;
    case undefined:
      return undefined;
  }
}

/** How to have the embedded emulator instead. */
export function wayBackToEmulator(upstream: AwsUpstream): string | undefined {
  switch (upstream.chosenBy) {
    case 'UPSTREAM':
      return 'set UPSTREAM=emulator to use the embedded emulator instead';
    case 'AWS_REGION':
    case 'AWS_ENDPOINT_URL_AMPLIFYBACKEND':
      return `set UPSTREAM=emulator (or unset ${upstream.chosenBy}) to use the embedded emulator instead`;
    case undefined:
      return undefined;
  }
}

/**
 * A refusal or warning about AWS with its cause in front and the way back behind: `AWS_REGION is
 * set (...), so ...: <message>. To ...`. As it is for a config made in code, which no setting chose.
 */
export function explainAws(upstream: AwsUpstream, message: string): string {
  const why = whyAws(upstream);
  const back = wayBackToEmulator(upstream);
  if (!why || !back) return message;
  return `${why}: ${message}; or ${back}`;
}

/**
 * At start against AWS: whether the SDK finds a region and credentials. When it does not, a
 * warning (the gateway starts, and /ready says what fails), or with `requireCredentials` a
 * ConfigError; either names the setting that chose AWS and the way back. Answers where the
 * credentials come from, for the start banner.
 */
export async function checkAwsAtStart(
  config: GatewayConfig,
  options: { warn: (message: string) => void; timeoutMs?: number },
): Promise<string | undefined> {
  const upstream = config.upstream;
  if (upstream.kind !== 'aws') return undefined;
  const signing = await findAwsSigning({ ...upstream, timeoutMs: options.timeoutMs });
  if (signing.ok) return `in ${signing.region}, credentials from ${signing.credentials}`;
  if (upstream.requireCredentials) {
    throw new ConfigError(explainAws(upstream, `refusing to start (REQUIRE_AWS_CREDENTIALS=true): ${signing.problem}`));
  }
  options.warn(explainAws(upstream, `${signing.problem} (REQUIRE_AWS_CREDENTIALS=true refuses to start instead)`));
  return signing.region ? `in ${signing.region}, no credentials` : 'no region, no credentials';
}
