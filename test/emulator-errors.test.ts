import {
  AmplifyBackendServiceException,
  BadRequestException,
  CreateBackendAPICommand,
  CreateBackendAuthCommand,
  CreateBackendCommand,
  GatewayTimeoutException,
  GetBackendAPICommand,
  GetBackendCommand,
  GetBackendJobCommand,
  ListBackendJobsCommand,
  NotFoundException,
  TooManyRequestsException,
  type AmplifyBackendClient,
} from '@aws-sdk/client-amplifybackend';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/emulator/server.js';
import { authConfig, sdkClient } from './helpers.js';
import { rejection, useEmulatorClient } from './helpers-emulator.js';

let emulator: Emulator;
let client: AmplifyBackendClient;

const APP = 'errapp0001';
const ENV = 'dev';

useEmulatorClient(async (started, sdk) => {
  [emulator, client] = [started, sdk];
  // An app with a completed environment, for the calls that need one to exist.
  await client.send(
    new CreateBackendCommand({ AppId: APP, AppName: 'errors', BackendEnvironmentName: ENV }),
  );
  await emulator.advance(3000);
});

afterEach(async () => {
  await fetch(`${emulator.url}/_emulator/faults`, { method: 'DELETE' });
  await fetch(`${emulator.url}/_emulator/stats`, { method: 'DELETE' });
});


async function injectFault(spec: Record<string, unknown>) {
  const res = await fetch(`${emulator.url}/_emulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  expect(res.status).toBe(200);
}

async function stats(): Promise<Record<string, number>> {
  return (await fetch(`${emulator.url}/_emulator/stats`)).json();
}

/** A raw POST to an operation's path, bypassing the SDK. */
function rawPost(path: string, body: BodyInit, headers: Record<string, string> = {}) {
  return fetch(`${emulator.url}${path}`, { method: 'POST', body, headers });
}

/** The server still serves a normal SDK call. */
async function expectStillServing() {
  const backend = await client.send(new GetBackendCommand({ AppId: APP }));
  expect(backend.AppName).toBe('errors');
}

describe('NotFoundException', () => {
  it('names the missing app in resourceType', async () => {
    const error = await rejection(client.send(new GetBackendCommand({ AppId: 'noSuchApp' })));
    expect(error).toBeInstanceOf(NotFoundException);
    expect(error.name).toBe('NotFoundException');
    expect(error.resourceType).toBe('app');
    expect(error.message).toContain('noSuchApp');
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(error.$fault).toBe('client');
  });

  it('names a missing environment', async () => {
    const error = await rejection(
      client.send(new GetBackendCommand({ AppId: APP, BackendEnvironmentName: 'nope' })),
    );
    expect(error).toBeInstanceOf(NotFoundException);
    expect(error.resourceType).toBe('environment');
  });

  it('names a missing job', async () => {
    const error = await rejection(
      client.send(
        new GetBackendJobCommand({ AppId: APP, BackendEnvironmentName: ENV, JobId: 'j-none' }),
      ),
    );
    expect(error).toBeInstanceOf(NotFoundException);
    expect(error.resourceType).toBe('job');
  });

  it('names a missing api resource', async () => {
    const error = await rejection(
      client.send(
        new GetBackendAPICommand({
          AppId: APP,
          BackendEnvironmentName: ENV,
          ResourceName: 'noApi',
        }),
      ),
    );
    expect(error).toBeInstanceOf(NotFoundException);
    expect(error.resourceType).toBe('api');
  });
});

describe('BadRequestException', () => {
  it('names a missing required member', async () => {
    const input = { AppId: 'newApp', AppName: 'new' } as any; // no BackendEnvironmentName
    const error = await rejection(client.send(new CreateBackendCommand(input)));
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.message).toContain('backendEnvironmentName');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.$fault).toBe('client');
  });

  it('names an ill-typed member', async () => {
    const input = { AppId: 'newApp', AppName: 42, BackendEnvironmentName: 'dev' } as any;
    const error = await rejection(client.send(new CreateBackendCommand(input)));
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.message).toContain('appName');
    expect(error.message).toContain('string');
  });

  it('names a member whose value is outside its enum', async () => {
    const ResourceConfig = { ...authConfig(), Service: 'NOT_COGNITO' } as any;
    const error = await rejection(
      client.send(
        new CreateBackendAuthCommand({
          AppId: APP,
          BackendEnvironmentName: ENV,
          ResourceName: 'auth',
          ResourceConfig,
        }),
      ),
    );
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.message).toContain('resourceConfig.service');
    expect(error.message).toContain('COGNITO');
  });

  it.each([0, 26])('rejects ListBackendJobs maxResults %i', async (MaxResults) => {
    const error = await rejection(
      client.send(
        new ListBackendJobsCommand({ AppId: APP, BackendEnvironmentName: ENV, MaxResults }),
      ),
    );
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.message).toContain('maxResults');
  });

  it('accepts the maxResults bounds 1 and 25', async () => {
    for (const MaxResults of [1, 25]) {
      const out = await client.send(
        new ListBackendJobsCommand({ AppId: APP, BackendEnvironmentName: ENV, MaxResults }),
      );
      expect(out.Jobs?.length).toBeGreaterThan(0);
    }
  });
});

describe('the pending-job refusal', () => {
  it('surfaces as the base exception named ValidationException, status 400', async () => {
    const create = (ResourceName: string) =>
      client.send(
        new CreateBackendAPICommand({
          AppId: APP,
          BackendEnvironmentName: ENV,
          ResourceName,
          ResourceConfig: {},
        }),
      );
    await create('first');
    const error = await rejection(create('second'));
    expect(error).toBeInstanceOf(AmplifyBackendServiceException);
    expect(error).not.toBeInstanceOf(BadRequestException);
    expect(error.name).toBe('ValidationException');
    expect(error.message).toMatch(/pending job/);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.$fault).toBe('client');
    await emulator.advance(3000);
    await create('second'); // free again once the first job completed
    await emulator.advance(3000);
  });
});

describe('injected faults', () => {
  // prettier-ignore
  it.each([
    { name: 'throttle surfaces as TooManyRequestsException with limitType', type: 'throttle', class: TooManyRequestsException,
      expected: { limitType: 'api', $metadata: { httpStatusCode: 429 } } },
    { name: 'timeout surfaces as GatewayTimeoutException, a server fault', type: 'timeout', class: GatewayTimeoutException,
      expected: { $metadata: { httpStatusCode: 504 }, $fault: 'server' } },
    { name: 'internal surfaces as the base exception InternalServiceException, 500', type: 'internal', class: AmplifyBackendServiceException,
      expected: { name: 'InternalServiceException', $metadata: { httpStatusCode: 500 }, $fault: 'server' } },
  ])('$name', async ({ type, class: errorClass, expected }) => {
    await injectFault({ operation: 'GetBackend', type });
    const error = await rejection(client.send(new GetBackendCommand({ AppId: APP })));
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject(expected);
  });

  it('affects only the operation it names', async () => {
    await injectFault({ operation: 'GetBackendJob', type: 'throttle' });
    await expectStillServing();
    const faults = await (await fetch(`${emulator.url}/_emulator/faults`)).json();
    expect(faults.faults).toEqual([
      expect.objectContaining({ operation: 'GetBackendJob', count: 1 }),
    ]);
  });

  it('latency delays a call that is then served', async () => {
    await injectFault({ operation: 'GetBackend', type: 'latency', delayMs: 1000 });
    let served = false;
    const held = expectStillServing().then(() => {
      served = true;
    });
    // Held, not refused or lost: a call sent after it is answered first.
    const jobs = await client.send(new ListBackendJobsCommand({ AppId: APP, BackendEnvironmentName: ENV }));
    expect(jobs.$metadata.httpStatusCode).toBe(200);
    expect(served).toBe(false);
    await held;
    expect((await stats()).GetBackend).toBe(1);
  });
});

describe('SDK retries against injected faults', () => {
  it('2 throttles then success with maxAttempts 3 succeeds on the third call', async () => {
    await injectFault({ operation: 'GetBackend', type: 'throttle', count: 2 });
    const out = await sdkClient(emulator.url, 3).send(new GetBackendCommand({ AppId: APP }));
    expect(out.AppName).toBe('errors');
    expect(out.$metadata.attempts).toBe(3);
    expect((await stats()).GetBackend).toBe(3);
  });

  it('3 timeouts with maxAttempts 3 fail with GatewayTimeoutException after 3 calls', async () => {
    await injectFault({ operation: 'GetBackend', type: 'timeout', count: 3 });
    const error = await rejection(
      sdkClient(emulator.url, 3).send(new GetBackendCommand({ AppId: APP })),
    );
    expect(error).toBeInstanceOf(GatewayTimeoutException);
    expect(error.$metadata.attempts).toBe(3);
    expect((await stats()).GetBackend).toBe(3);
  });

  it('a dropped connection is retried', async () => {
    await injectFault({ operation: 'GetBackend', type: 'drop' });
    const out = await sdkClient(emulator.url, 2).send(new GetBackendCommand({ AppId: APP }));
    expect(out.AppName).toBe('errors');
    expect((await stats()).GetBackend).toBe(2);
  });

  it('a dropped connection without retries is a network error, not a service error', async () => {
    await injectFault({ operation: 'GetBackend', type: 'drop' });
    const error = await rejection(client.send(new GetBackendCommand({ AppId: APP })));
    expect(error).not.toBeInstanceOf(AmplifyBackendServiceException);
    await expectStillServing();
  });
});

describe('request ids', () => {
  /** Records the raw HTTP response headers each call of a client receives. */
  function recordHeaders(target: AmplifyBackendClient) {
    const seen: Record<string, string>[] = [];
    target.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        seen.push((out.response as { headers: Record<string, string> }).headers);
        return out;
      },
      { step: 'deserialize', priority: 'low', name: 'recordHeaders' },
    );
    return seen;
  }

  it('$metadata.requestId of a success is the x-amzn-RequestId header', async () => {
    const target = sdkClient(emulator.url);
    const seen = recordHeaders(target);
    const out = await target.send(new GetBackendCommand({ AppId: APP }));
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.$metadata.requestId).toBe(seen[0]['x-amzn-requestid']);
  });

  it('$metadata.requestId of an error is the x-amzn-RequestId header', async () => {
    const target = sdkClient(emulator.url);
    const seen = recordHeaders(target);
    const error = await rejection(target.send(new GetBackendCommand({ AppId: 'noSuchApp' })));
    expect(error.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.$metadata.requestId).toBe(seen[0]['x-amzn-requestid']);
  });

  it('every response gets a fresh request id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await rawPost(`/backend/${APP}/details`, '{}');
      ids.add(res.headers.get('x-amzn-requestid') ?? '');
    }
    expect(ids.size).toBe(3);
  });
});

describe('raw HTTP', () => {
  it('malformed JSON is a 400 BadRequestException that says so', async () => {
    const res = await rawPost(`/backend/${APP}/details`, '{"backendEnvironmentName": ', {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('BadRequestException');
    expect((await res.json()).message).toMatch(/not valid JSON/);
    await expectStillServing();
  });

  it('a JSON array body is a 400', async () => {
    const res = await rawPost(`/backend/${APP}/details`, '[]');
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('BadRequestException');
    expect((await res.json()).message).toMatch(/JSON object/);
    await expectStillServing();
  });

  it('a wrong method on a known path is a 405 with an allow header', async () => {
    const res = await fetch(`${emulator.url}/backend/${APP}/details`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.headers.get('x-amzn-errortype')).toBe('MethodNotAllowedException');
    await res.body?.cancel();
    await expectStillServing();
  });

  it('an unknown path is a 404 with an error type header', async () => {
    const res = await fetch(`${emulator.url}/no/such/path`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(res.headers.get('x-amzn-requestid')).toBeTruthy();
    expect((await res.json()).message).toContain('/no/such/path');
    await expectStillServing();
  });

  it('a body over 1 MiB is a 413', async () => {
    const body = JSON.stringify({ backendEnvironmentName: 'x'.repeat(1024 * 1024 + 1) });
    const res = await rawPost(`/backend/${APP}/details`, body);
    expect(res.status).toBe(413);
    expect(res.headers.get('x-amzn-errortype')).toBe('RequestEntityTooLargeException');
    await res.body?.cancel();
    await expectStillServing();
  });

  it('a body of exactly 1 MiB is read', async () => {
    const pad = 'x'.repeat(1024 * 1024 - JSON.stringify({ pad: '' }).length);
    const res = await rawPost(`/backend/${APP}/details`, JSON.stringify({ pad }));
    expect(res.status).toBe(200);
    expect((await res.json()).appName).toBe('errors');
  });
});

describe('fault control endpoint', () => {
  it.each([
    ['an unknown operation', { operation: 'NoSuchOperation', type: 'throttle' }, /operation/],
    ['an unknown type', { operation: 'GetBackend', type: 'explode' }, /type/],
    ['a count below 1', { operation: 'GetBackend', type: 'throttle', count: 0 }, /count/],
  ])('rejects %s with 400', async (_name, spec, message) => {
    const res = await rawPost('/_emulator/faults', JSON.stringify(spec));
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('BadRequestException');
    expect((await res.json()).message).toMatch(message);
    const listed = await (await fetch(`${emulator.url}/_emulator/faults`)).json();
    expect(listed.faults).toEqual([]);
  });
});
