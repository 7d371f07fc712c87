import { AmplifyBackendClient } from '@aws-sdk/client-amplifybackend';
import type { AwsOptions } from './client.js';

/** What the SDK would sign AmplifyBackend calls with, found before the first call needs it. */
export type AwsSigning =
  | { ok: true; region: string; credentials: string }
  | { ok: false; region?: string; problem: string };

// The SDK records which provider of its chain answered, as feature ids; the first match names it.
const sources: [RegExp, string][] = [
  [/WEB_ID/, 'a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE: EKS IRSA)'],
  [/ENV_VARS/, 'environment variables (AWS_ACCESS_KEY_ID)'],
  [/SSO/, 'SSO (IAM Identity Center)'],
  [/PROCESS/, 'a credential_process'],
  [/PROFILE/, 'a profile in the shared config and credentials files'],
  [/HTTP/, 'the container credentials endpoint (ECS task role or EKS Pod Identity)'],
  [/IMDS/, 'the EC2 instance role'],
  [/CODE/, 'credentials given in code'],
];

function sourceOf(credentials: { $source?: Record<string, unknown> }): string {
  const features = Object.keys(credentials.$source ?? {}).join(' ');
  return sources.find(([pattern]) => pattern.test(features))?.[1] ?? (features || 'the default credential chain');
}

/**
 * Resolves the region and the credentials of the SDK's default chain (environment, shared files,
 * SSO, web identity, container, instance role) as the gateway's client will, without sending a
 * command: so that "no credentials" is said once at start, not as a CredentialsProviderError on
 * every query. Gives up after `timeoutMs` (the instance metadata service may not answer at all).
 */
export async function findAwsSigning(
  options: Pick<AwsOptions, 'region' | 'endpoint' | 'credentials'> & { timeoutMs?: number },
): Promise<AwsSigning> {
  const client = new AmplifyBackendClient({
    // As createAmplifyBackend does: an endpoint without a region signs for us-east-1.
    region: options.region ?? (options.endpoint ? 'us-east-1' : undefined),
    endpoint: options.endpoint,
    credentials: options.credentials,
  });
  const timeoutMs = options.timeoutMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the credential chain did not answer in ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    let region: string;
    try {
      region = await Promise.race([client.config.region(), late]);
    } catch {
      return { ok: false, problem: 'no AWS region: set AWS_REGION (or a region in the AWS_PROFILE used)' };
    }
    try {
      const credentials = await Promise.race([client.config.credentials(), late]);
      return { ok: true, region, credentials: sourceOf(credentials as { $source?: Record<string, unknown> }) };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        ok: false,
        region,
        problem:
          `no AWS credentials found (${reason}): the SDK's default chain looked in AWS_ACCESS_KEY_ID / ` +
          'AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, SSO, a web identity token, the container ' +
          'credentials endpoint and the EC2 instance role; every upstream call would fail',
      };
    }
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}
