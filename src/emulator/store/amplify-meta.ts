import { toRecord, type EnvironmentState } from './state.js';

/** The amplify-meta.json GetBackend reports for an environment: derived from its resources, the same on every read. */
export function amplifyMeta(appId: string, env: EnvironmentState, region: string) {
  const stack = `amplify-${appId}-${env.name}`;
  const category = <R>(records: Map<string, R>, describe: (r: R) => Record<string, unknown>) =>
    toRecord(records, (r) => ({ providerPlugin: 'awscloudformation', ...describe(r) }));
  return {
    providers: {
      awscloudformation: {
        Region: region,
        StackName: stack,
        DeploymentBucketName: `${stack}-deployment`,
        AuthRoleName: `${stack}-authRole`,
        UnauthRoleName: `${stack}-unauthRole`,
      },
    },
    api: category(env.api, (api) => ({
      service: 'AppSync',
      output: {
        GraphQLAPIIdOutput: fakeId(`${stack}-${api.resourceName}`, 26),
        GraphQLAPIEndpointOutput: `https://${fakeId(`${stack}-${api.resourceName}-host`, 26)}.appsync-api.${region}.amazonaws.com/graphql`,
        authConfig: {
          defaultAuthentication: api.resourceConfig.defaultAuthType ?? { mode: 'API_KEY' },
          additionalAuthenticationProviders: api.resourceConfig.additionalAuthTypes ?? [],
        },
      },
    })),
    auth: category(env.auth, (auth) => ({
      service: 'Cognito',
      serviceType: auth.imported ? 'imported' : 'managed',
      output: {
        UserPoolId: auth.imported?.userPoolId ?? `${region}_${fakeId(`${stack}-${auth.resourceName}`, 9)}`,
        AppClientIDWeb: auth.imported?.webClientId ?? fakeId(`${stack}-${auth.resourceName}-web`, 26),
        AppClientID: auth.imported?.nativeClientId ?? fakeId(`${stack}-${auth.resourceName}-native`, 26),
        ...(auth.imported?.identityPoolId || auth.resourceConfig.authResources === 'IDENTITY_POOL_AND_USER_POOL'
          ? { IdentityPoolId: auth.imported?.identityPoolId ?? `${region}:${fakeUuid(`${stack}-${auth.resourceName}-idp`)}` }
          : {}),
      },
    })),
    storage: category(env.storage, (storage) => ({
      service: 'S3',
      serviceType: storage.imported ? 'imported' : 'managed',
      output: { BucketName: storage.bucketName, Region: region },
    })),
  };
}

// Stable, realistic-looking ids derived from a name, so amplify-meta is the same on every read.
function fakeId(seed: string, length: number) {
  let h = 2166136261;
  let out = '';
  while (out.length < length) {
    for (const ch of seed + out.length) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(36);
  }
  return out.slice(0, length);
}

const fakeUuid = (seed: string) => {
  const hex = [...fakeId(seed, 32)].map((c) => (parseInt(c, 36) % 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};
