import type { ImportedAuth } from './model.js';

// What only amplify-meta says: whether auth is imported (and the ids Gen 2's referenceAuth needs),
// and a resource's region. amplify-meta is JSON from the service: read defensively, member by member.

type Json = Record<string, unknown>;

const object = (value: unknown): Json | undefined => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined);
const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

const resourceMeta = (meta: Json | null, category: string, name: string) => {
  const ofCategory = object(meta?.[category]);
  return ofCategory && Object.hasOwn(ofCategory, name) ? object(ofCategory[name]) : undefined;
};

/** The ids of an imported auth resource; undefined when amplify-meta does not say it is imported. */
export function importedAuth(meta: Json | null, resourceName: string): ImportedAuth | undefined {
  const auth = resourceMeta(meta, 'auth', resourceName);
  if (auth?.serviceType !== 'imported') return undefined;
  const output = object(auth.output) ?? {};
  const provider = object(object(meta?.providers)?.awscloudformation) ?? {};
  return {
    userPoolId: text(output.UserPoolId),
    userPoolClientId: text(output.AppClientIDWeb),
    identityPoolId: text(output.IdentityPoolId),
    authRoleArn: text(provider.AuthRoleArn),
    unauthRoleArn: text(provider.UnauthRoleArn),
  };
}

/** A storage resource's region, else the environment's. */
export function storageRegion(meta: Json | null, resourceName: string): string | undefined {
  const storage = resourceMeta(meta, 'storage', resourceName);
  return text(object(storage?.output)?.Region) ?? text(object(object(meta?.providers)?.awscloudformation)?.Region);
}
