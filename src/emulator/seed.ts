import { createManualClock } from './clock.js';
import { createStore } from './store.js';
import type { EmulatorState } from './store/records.js';

const todoSchema = `type Todo @model @auth(rules: [{ allow: owner }]) {
  id: ID!
  name: String!
  description: String
  priority: Priority
  tags: [String!]
}

enum Priority {
  LOW
  MEDIUM
  HIGH
}
`;

const gallerySchema = `type Album @model {
  id: ID!
  title: String!
  photos: [Photo] @hasMany
}

type Photo @model {
  id: ID!
  albumId: ID!
  key: String!
  exif: Exif
}

type Exif {
  camera: String
  takenAt: AWSDateTime
}
`;

const demoApps = [
  { appId: 'd1todoapp00001', appName: 'todo-app', environments: ['dev', 'prod'], schema: todoSchema },
  { appId: 'd2gallery00002', appName: 'photo-gallery', environments: ['staging'], schema: gallerySchema },
];

/**
 * The demo data `npm start` serves: two apps, three environments, each with an API (models
 * generated), auth and storage, made by running the same operations a client would, with every
 * job finished before `now`.
 */
export function demoState(now: number): EmulatorState {
  const jobMs = 60_000;
  const clock = createManualClock(now - 2 * 60 * 60 * 1000);
  const store = createStore({ clock, jobDurationMs: jobMs });
  const finish = () => {
    clock.advance(jobMs);
    store.settle();
  };
  for (const { appId, appName, environments, schema } of demoApps) {
    for (const env of environments) {
      store.createBackend(appId, appName, env);
      finish();
      store.putResource('CreateBackendAPI', appId, env, 'api', {
        resourceName: `${appName.replace(/-/g, '')}api`,
        resourceConfig: {
          apiName: `${appName.replace(/-/g, '')}api`,
          service: 'AppSync',
          transformSchema: schema,
          defaultAuthType: { mode: 'AMAZON_COGNITO_USER_POOLS' },
          additionalAuthTypes: [{ mode: 'API_KEY', settings: { expirationTime: 7, description: 'public read' } }],
          conflictResolution: { resolutionStrategy: 'AUTOMERGE' },
        },
      }, 'create');
      finish();
      store.generateModels(appId, env, `${appName.replace(/-/g, '')}api`);
      finish();
      store.putResource('CreateBackendAuth', appId, env, 'auth', {
        resourceName: `${appName.replace(/-/g, '')}auth`,
        resourceConfig: {
          authResources: 'IDENTITY_POOL_AND_USER_POOL',
          service: 'COGNITO',
          identityPoolConfigs: { identityPoolName: `${appName.replace(/-/g, '')}_identitypool`, unauthenticatedLogin: true },
          userPoolConfigs: {
            userPoolName: `${appName.replace(/-/g, '')}_userpool`,
            signInMethod: 'EMAIL',
            requiredSignUpAttributes: ['EMAIL'],
            mfa: { MFAMode: 'OPTIONAL', settings: { mfaTypes: ['TOTP'] } },
            passwordPolicy: { minimumLength: 8, additionalConstraints: ['REQUIRE_DIGIT', 'REQUIRE_LOWERCASE'] },
            forgotPassword: { deliveryMethod: 'EMAIL', emailSettings: { emailSubject: 'Reset your password', emailMessage: 'Your code is {####}' } },
            verificationMessage: { deliveryMethod: 'EMAIL', emailSettings: { emailSubject: 'Verify your email', emailMessage: 'Your code is {####}' } },
            oAuth: {
              oAuthGrantType: 'CODE',
              oAuthScopes: ['EMAIL', 'OPENID', 'PROFILE'],
              redirectSignInURIs: ['https://example.com/signin'],
              redirectSignOutURIs: ['https://example.com/signout'],
              domainPrefix: `${appName}-${env}`,
              socialProviderSettings: {
                Google: { client_id: 'demo-google-client.apps.googleusercontent.com', client_secret: 'demo-google-secret' },
              },
            },
          },
        },
      }, 'create');
      finish();
      const storageName = `${appName.replace(/-/g, '')}storage`;
      store.putResource('CreateBackendStorage', appId, env, 'storage', {
        resourceName: storageName,
        bucketName: store.bucketNameFor(storageName, appId, env),
        imported: false,
        permissions: { authenticated: ['READ', 'CREATE_AND_UPDATE', 'DELETE'], unAuthenticated: ['READ'] },
      }, 'create');
      finish();
    }
  }
  for (const name of ['acme-logs', 'acme-media-assets', 'acme-backups', 'shared-static-site']) store.addBucket(name);
  return store.snapshot();
}
