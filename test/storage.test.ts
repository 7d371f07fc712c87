import { describe, expect, it } from 'vitest';
import { nothingKept, type Stack } from './helpers.js';
import { upstreamBadRequest, upstreamNotFound } from './helpers-errors.js';
import { demoStorage, resourceTestKit, s3Storage } from './helpers-resources.js';
import { useFileStack } from './helpers-stack.js';

const APP = 'd1todoapp00001';

let stack: Stack;
// Counts upstream calls per request, and reads what jobs changed with no poller watching: nothing kept.
useFileStack((started) => (stack = started), { start: { gateway: nothingKept } });

const storageFields = `resourceName config {
  bucketName imported serviceName permissions { authenticated unAuthenticated }
}`;

async function readStorage(env: string, resourceName: string) {
  const res = await stack.graphql(
    `query($appId: ID!, $env: String!, $name: String!) {
      backendEnvironment(appId: $appId, name: $env) {
        storage(resourceName: $name) { ${storageFields} }
      }
    }`,
    { appId: APP, env, name: resourceName },
  );
  expect(res.errors).toBeUndefined();
  return res.data.backendEnvironment.storage;
}

async function bucketNames() {
  const res = await stack.graphql('{ s3Buckets(first: 100) { edges { node { name } } } }');
  expect(res.errors).toBeUndefined();
  return res.data.s3Buckets.edges.map((e: any) => e.node.name as string);
}

const jobFields = 'job { jobId operation status state environmentName }';

const { environmentView, mutate, at, complete, freshEnvironment, environmentWith, startJob, afterJobs, itRefuses } = resourceTestKit({
  stack: () => stack,
  appId: APP,
  appName: 'todo-app',
  prefix: 'st',
  selection: jobFields,
  resources: 'storages { resourceName }',
});

const permissions = { authenticated: ['READ', 'CREATE_AND_UPDATE'], unAuthenticated: ['READ'] };

/** A fresh environment with storage `photos` on bucket `photos-bucket-<env>`, its job completed. */
async function environmentWithStorage() {
  const env = await freshEnvironment();
  await complete('createBackendStorage', at(env, { resourceName: 'photos', config: { bucketName: `photos-bucket-${env}`, permissions } }));
  stack.resetCalls();
  return env;
}

describe('BackendStorage fields', () => {
  it('config answers the bucket, whether it is imported, the service and permissions', async () => {
    expect(await readStorage('dev', 'todoappstorage')).toEqual(demoStorage('dev'));
    expect(stack.calls()).toEqual({ GetBackend: 1, GetBackendStorage: 1 });
  });

  it('a storage the environment does not have is null', async () => {
    expect(await readStorage('dev', 'nosuchstorage')).toBeNull();
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it('storage is also a node, found by its id', async () => {
    const listed = await stack.graphql(
      `{ backendEnvironment(appId: "${APP}", name: "prod") { storages { id } } }`,
    );
    const res = await stack.graphql(
      `query($id: ID!) {
        node(id: $id) {
          ... on BackendStorage { resourceName environmentName config { bucketName } }
        }
      }`,
      { id: listed.data.backendEnvironment.storages[0].id },
    );
    expect(res).toEqual({
      data: {
        node: {
          resourceName: 'todoappstorage',
          environmentName: 'prod',
          config: { bucketName: 'todoappstorage-d1todoapp00001-prod' },
        },
      },
    });
  });
});

describe('createBackendStorage', () => {
  it('returns its IN_PROGRESS job, which environment.jobs lists', async () => {
    const env = await freshEnvironment();
    // CreateBackendStorage does not answer the operation; the gateway knows it, so no job read:
    // one upstream call.
    const payload = await startJob(
      'createBackendStorage',
      at(env, { resourceName: 'photos', config: { bucketName: `photos-${env}`, permissions } }),
      'CreateBackendStorage',
      `${jobFields} storage { resourceName } environment { name }`,
    );
    expect(payload.storage).toEqual({ resourceName: 'photos' });
    expect(payload.environment).toEqual({ name: env });

    const view = await environmentView(env);
    expect(view.storages).toEqual([]);
    expect(view.amplifyMetaConfig.storage).toEqual({});
  });

  it('after the job completes, config answers it and amplify-meta names the bucket', async () => {
    const env = await environmentWithStorage();
    expect(await readStorage(env, 'photos')).toEqual(s3Storage('photos', `photos-bucket-${env}`, permissions));
    const view = await environmentView(env);
    expect(view.storages).toEqual([{ resourceName: 'photos' }]);
    expect(view.jobs.edges[0].node).toMatchObject({ operation: 'CreateBackendStorage', state: 'COMPLETED' });
    expect(view.amplifyMetaConfig.storage).toEqual({
      photos: {
        providerPlugin: 'awscloudformation',
        service: 'S3',
        serviceType: 'managed',
        output: { BucketName: `photos-bucket-${env}`, Region: 'us-east-1' },
      },
    });
    expect(await bucketNames()).toContain(`photos-bucket-${env}`);
  });

  it('without a bucket name, the bucket is named after resource, app and environment', async () => {
    const env = await environmentWith('createBackendStorage', { resourceName: 'docs', config: { permissions: { authenticated: ['READ'] } } });
    expect(await readStorage(env, 'docs')).toEqual(
      s3Storage('docs', `docs-d1todoapp00001-${env}`, { authenticated: ['READ'], unAuthenticated: [] }),
    );
  });

  it('an environment takes several storages', async () => {
    const env = await environmentWithStorage();
    await complete('createBackendStorage', at(env, { resourceName: 'videos', config: { permissions } }));
    const view = await environmentView(env);
    expect(view.storages).toEqual([{ resourceName: 'photos' }, { resourceName: 'videos' }]);
    expect(Object.keys(view.amplifyMetaConfig.storage)).toEqual(['photos', 'videos']);
  });

  it('a storage name already taken in the environment is refused', async () => {
    const res = await mutate('createBackendStorage', at('dev', { resourceName: 'todoappstorage', config: { permissions } }));
    expect(res.errors).toStrictEqual([
      upstreamBadRequest('CreateBackendStorage', { column: 48, path: 'createBackendStorage', message: 'storage resource todoappstorage already exists in environment dev' }),
    ]);
  });
});

describe('updateBackendStorage', () => {
  it('returns its job; after it completes the permissions are new, the bucket kept', async () => {
    const env = await environmentWithStorage();
    const allButUnauthenticated = { authenticated: ['READ', 'CREATE_AND_UPDATE', 'DELETE'], unAuthenticated: [] };
    await startJob('updateBackendStorage', at(env, { resourceName: 'photos', config: { permissions: allButUnauthenticated } }), 'UpdateBackendStorage');
    expect((await readStorage(env, 'photos')).config.permissions).toEqual(permissions);

    await stack.emulator.advance(3000);
    expect(await readStorage(env, 'photos')).toEqual(s3Storage('photos', `photos-bucket-${env}`, allButUnauthenticated));
    expect((await environmentView(env)).amplifyMetaConfig.storage.photos.output.BucketName).toBe(
      `photos-bucket-${env}`,
    );
  });

  it('an imported storage keeps its permissions outside Amplify: refused', async () => {
    const env = await environmentWith('importBackendStorage', { bucketName: 'acme-backups' });
    const res = await mutate('updateBackendStorage', at(env, { resourceName: 'acmebackups', config: { permissions } }));
    expect(res.errors).toStrictEqual([
      upstreamBadRequest('UpdateBackendStorage', { column: 48, path: 'updateBackendStorage', message: 'Storage acmebackups is imported; its permissions are managed outside Amplify' }),
    ]);
  });

  it('a storage the environment does not have is NOT_FOUND', async () => {
    const res = await mutate('updateBackendStorage', at('dev', { resourceName: 'nosuchstorage', config: { permissions } }));
    expect(res.errors).toStrictEqual([
      upstreamNotFound('UpdateBackendStorage', 'storage', { column: 48, path: 'updateBackendStorage', message: 'storage resource nosuchstorage not found in environment dev' }),
    ]);
  });
});

describe('importBackendStorage', () => {
  it('imports a bucket ListS3Buckets names; after the job it is imported storage', async () => {
    const buckets = await bucketNames();
    expect(buckets).toEqual(expect.arrayContaining(['acme-logs', 'acme-media-assets', 'acme-backups', 'shared-static-site']));
    const env = await freshEnvironment();
    const payload = await startJob('importBackendStorage', at(env, { bucketName: 'acme-logs' }), 'ImportBackendStorage', `${jobFields} environment { name }`);
    expect(payload.environment).toEqual({ name: env });

    const view = await afterJobs(env);
    expect(view.storages).toEqual([{ resourceName: 'acmelogs' }]);
    expect(view.amplifyMetaConfig.storage).toEqual({
      acmelogs: {
        providerPlugin: 'awscloudformation',
        service: 'S3',
        serviceType: 'imported',
        output: { BucketName: 'acme-logs', Region: 'us-east-1' },
      },
    });
    expect(await readStorage(env, 'acmelogs')).toEqual(s3Storage('acmelogs', 'acme-logs', null, true));
  });

  it('a bucket that does not exist is NOT_FOUND', async () => {
    const res = await mutate('importBackendStorage', at('dev', { bucketName: 'no-such-bucket' }));
    expect(res.errors).toStrictEqual([
      upstreamNotFound('ImportBackendStorage', 'bucket', { column: 48, path: 'importBackendStorage', message: 'Bucket no-such-bucket not found' }),
    ]);
    expect(stack.calls()).toEqual({ ImportBackendStorage: 1 });
  });
});

describe('deleteBackendStorage', () => {
  it('returns its job; after it completes the storage is gone, from amplify-meta too', async () => {
    const env = await environmentWithStorage();
    await startJob('deleteBackendStorage', at(env, { resourceName: 'photos' }), 'DeleteBackendStorage');
    expect((await environmentView(env)).storages).toEqual([{ resourceName: 'photos' }]);

    const view = await afterJobs(env);
    expect(view.storages).toEqual([]);
    expect(view.amplifyMetaConfig.storage).toEqual({});
    expect(await readStorage(env, 'photos')).toBeNull();
  });

  it('deleting imported storage leaves its bucket in the account', async () => {
    const env = await environmentWith('importBackendStorage', { bucketName: 'shared-static-site' });
    await complete('deleteBackendStorage', at(env, { resourceName: 'sharedstaticsite' }));
    expect((await environmentView(env)).storages).toEqual([]);
    expect(await bucketNames()).toContain('shared-static-site');
  });
});

describe('inputs are checked before any upstream call', () => {
  itRefuses([
    {
      name: 'a new resourceName with a dash',
      mutation: 'createBackendStorage',
      input: at('dev', { resourceName: 'my-storage', config: { permissions } }),
      error: {
        code: 'BAD_USER_INPUT',
        field: 'input.resourceName',
        column: 48,
        path: 'createBackendStorage',
        message: 'input.resourceName: must be 1 to 128 letters and digits (an Amplify resource name)',
      },
    },
    {
      name: 'a bucket name with a slash',
      mutation: 'importBackendStorage',
      input: at('dev', { bucketName: 'acme/logs' }),
      error: {
        code: 'BAD_USER_INPUT',
        field: 'input.bucketName',
        column: 48,
        path: 'importBackendStorage',
        message: 'input.bucketName: must not contain "/"',
      },
    },
    {
      name: 'an empty bucket name',
      mutation: 'createBackendStorage',
      input: at('dev', { resourceName: 'newstorage', config: { bucketName: '', permissions } }),
      error: {
        code: 'BAD_USER_INPUT',
        field: 'input.config.bucketName',
        column: 48,
        path: 'createBackendStorage',
        message: 'input.config.bucketName: must not be empty',
      },
    },
    {
      name: 'a permission that does not exist',
      mutation: 'updateBackendStorage',
      input: at('dev', { resourceName: 'todoappstorage', config: { permissions: { authenticated: ['READ', 'WRITE'] } } }),
      error: {
        code: 'BAD_USER_INPUT',
        column: 10,
        message: 'Variable "$input" got invalid value at "input.config.permissions.authenticated[1]"; Value "WRITE" does not exist in "StorageAccess" enum.',
      },
    },
    {
      name: 'permissions without the required authenticated list',
      mutation: 'createBackendStorage',
      input: at('dev', { resourceName: 'newstorage', config: { permissions: { unAuthenticated: ['READ'] } } }),
      error: {
        code: 'BAD_USER_INPUT',
        column: 10,
        message: 'Variable "$input" got invalid value at "input.config.permissions"; Field "authenticated" of required type "[StorageAccess!]!" was not provided.',
      },
    },
    {
      name: 'an update without its required config',
      mutation: 'updateBackendStorage',
      input: at('dev', { resourceName: 'todoappstorage' }),
      error: {
        code: 'BAD_USER_INPUT',
        column: 10,
        message: 'Variable "$input" got invalid value at "input"; Field "config" of required type "UpdateBackendStorageConfigInput!" was not provided.',
      },
    },
    {
      name: 'a service that does not exist, written inline',
      query: `mutation {
      deleteBackendStorage(input: {
        appId: "${APP}", environmentName: "dev", resourceName: "todoappstorage", serviceName: GCS
      }) {
        job { jobId }
      }
    }`,
      error: {
        code: 'GRAPHQL_VALIDATION_FAILED',
        column: 103,
        line: 3,
        message: 'Value "GCS" does not exist in "StorageService" enum.',
      },
    },
    {
      name: 'an import without a bucket name, written inline',
      query: `mutation {
      importBackendStorage(input: { appId: "${APP}", environmentName: "dev" }) { job { jobId } }
    }`,
      error: {
        code: 'GRAPHQL_VALIDATION_FAILED',
        column: 35,
        line: 2,
        message: 'Field "ImportBackendStorageInput.bucketName" of required type "String!" was not provided.',
      },
    },
  ]);
});
