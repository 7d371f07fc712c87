import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentials } from './client.js';

type Identity = { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date };
type Provider = () => Promise<Identity>;

/** Renewed this long before they expire, as the SDK's own clients do. */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

export interface AssumedRole {
  /** Which account; also in the session name, so CloudTrail says which gateway account made a call. */
  name: string;
  roleArn: string;
  externalId?: string;
}

/**
 * Credentials of a role in another account, from STS AssumeRole with the gateway's own identity
 * (`masterCredentials`, or the default chain). One provider per account, shared by the clients of
 * all its regions: one AssumeRole however many regions, again when they are within
 * REFRESH_BEFORE_EXPIRY_MS of expiring (the SDK would otherwise assume the role once per client).
 */
export function assumedRoleCredentials(
  role: AssumedRole,
  options: { region: string; stsEndpoint?: string; masterCredentials?: AwsCredentials; now?: () => number },
): AwsCredentials {
  const assume = fromTemporaryCredentials({
    params: {
      RoleArn: role.roleArn,
      RoleSessionName: `amplifybackend-graphql-${role.name}`.slice(0, 64),
      ...(role.externalId ? { ExternalId: role.externalId } : {}),
    },
    masterCredentials: options.masterCredentials,
    clientConfig: { region: options.region, ...(options.stsEndpoint ? { endpoint: options.stsEndpoint } : {}), maxAttempts: 3 },
  }) as Provider;
  return shareCredentials(assume, options.now ?? Date.now);
}

/** One identity for every caller until it nears expiry; one request for it at a time. */
export function shareCredentials(provider: Provider, now: () => number): Provider {
  let current: Identity | undefined;
  let pending: Promise<Identity> | undefined;
  const fresh = (identity: Identity) => !identity.expiration || identity.expiration.getTime() - now() > REFRESH_BEFORE_EXPIRY_MS;
  return async () => {
    if (current && fresh(current)) return current;
    pending ??= provider().then(
      (identity) => {
        current = identity;
        pending = undefined;
        return identity;
      },
      (error: unknown) => {
        pending = undefined;
        // Renewed early: while the ones held are still valid, a failed renewal (STS throttled or
        // away) serves them, and the next call tries again.
        if (current && (!current.expiration || current.expiration.getTime() > now())) return current;
        throw error;
      },
    );
    return pending;
  };
}
