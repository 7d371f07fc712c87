// The emulator against requests an attacker would send (issue 12, findings 1, 4, 8, 10): paths
// with dot segments, names that are Object.prototype members, bad control inputs and state files.
import {
  BadRequestException,
  CreateBackendCommand,
  DeleteBackendAuthCommand,
  GetBackendAPICommand,
  GetBackendCommand,
  GetBackendJobCommand,
  UpdateBackendJobCommand,
} from '@aws-sdk/client-amplifybackend';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startEmulator } from '../src/emulator/server.js';
import { createGateway } from '../src/server.js';
import { rawHttp, prototypeKeys, stateOf, usingEmulator } from './helpers-emulator.js';
import { scoped, sdkClient } from './helpers.js';

const GALLERY = 'd2gallery00002';
const TODO = 'd1todoapp00001';
const JOB_MS = 3000;

let dir: string;
let files = 0;
const newStateFile = () => join(dir, `state-${++files}.json`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emulator-hardening-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('paths are matched as sent: dot segments never reach another operation (finding 1)', () => {
  it.each([
    // The request: UpdateBackendJob with environment `..` and job `remove`.
    ['POST', `/backend/${GALLERY}/job/../remove`, 400, 'BadRequestException'],
    ['POST', `/backend/${GALLERY}/job/./remove`, 400, 'BadRequestException'],
    ['POST', `/backend/${GALLERY}/job/%2e%2e/remove`, 400, 'BadRequestException'],
    ['POST', `/backend/${GALLERY}/job/.%2E/remove`, 400, 'BadRequestException'],
    ['POST', `/backend/${GALLERY}/auth/../remove`, 400, 'BadRequestException'],
    ['POST', `/backend/${GALLERY}/api/../details`, 400, 'BadRequestException'],
    ['GET', `/backend/${GALLERY}/job/staging/..`, 400, 'BadRequestException'],
    ['POST', `/backend/${GALLERY}/job/staging/%2e`, 400, 'BadRequestException'],
    ['POST', `/backend/%2e%2e/details`, 400, 'BadRequestException'],
    // `\` is a separator only to URL parsers; here it is part of the environment name.
    ['POST', `/backend/${GALLERY}/job/..\\remove`, 404, 'NotFoundException'],
    ['POST', `/backend/${GALLERY}/job/..%2fremove`, 404, 'NotFoundException'],
    ['POST', `/backend/${GALLERY}/environments/staging/../../remove`, 404, 'UnknownOperationException'],
    ['POST', `/backend/other/../${GALLERY}/remove`, 404, 'UnknownOperationException'],
    ['POST', `/backend/${GALLERY}/details/..`, 404, 'UnknownOperationException'],
    ['POST', `/backend/../_emulator/reset`, 404, 'UnknownOperationException'],
    ['POST', `/_emulator/../backend/${GALLERY}/remove`, 404, 'UnknownOperationException'],
    ['POST', `/_emulator/./reset`, 404, 'UnknownOperationException'],
    ['POST', `/backend/${GALLERY}/job/%ED%A0%80/remove`, 400, 'BadRequestException'],
  ])('%s %s answers %i %s and changes nothing', async (method, path, status, errorType) => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    const before = stateOf(emulator);
    const res = await rawHttp(emulator.url, method, path, method === 'POST' ? '{}' : undefined);
    expect({ status: res.status, errorType: res.errorType }).toEqual({ status, errorType });
    expect(res.body.message).toEqual(expect.any(String));
    // Nothing started a job, nothing ran: not even after the time a job takes.
    await emulator.advance(JOB_MS);
    expect(stateOf(emulator)).toEqual(before);
    expect(emulator.stats().RemoveAllBackends).toBeUndefined();
  });

  it('names the member and the problem for a dot segment in a label', async () => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    const res = await rawHttp(emulator.url, 'POST', `/backend/${GALLERY}/job/../remove`, '{}');
    expect(res.body.message).toBe('Path member backendEnvironmentName must not be ".."');
  });

  it.each([
    ['UpdateBackendJob on environment ..', new UpdateBackendJobCommand({ AppId: GALLERY, BackendEnvironmentName: '..', JobId: 'remove' })],
    ['GetBackendJob of job ..', new GetBackendJobCommand({ AppId: GALLERY, BackendEnvironmentName: 'staging', JobId: '..' })],
    [
      'DeleteBackendAuth on environment ..',
      new DeleteBackendAuthCommand({ AppId: GALLERY, BackendEnvironmentName: '..', ResourceName: 'photogalleryauth' }),
    ],
    ['GetBackendAPI on environment .', new GetBackendAPICommand({ AppId: GALLERY, BackendEnvironmentName: '.', ResourceName: 'x' })],
  ])('the real SDK: %s is refused with BadRequestException and removes nothing', async (_what, command) => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    const client = sdkClient(emulator.url);
    const error = await client.send(command as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BadRequestException);
    await emulator.advance(JOB_MS);
    const gallery = await client.send(new GetBackendCommand({ AppId: GALLERY }));
    expect(gallery.BackendEnvironmentList).toEqual(['staging']);
    expect(Object.keys(emulator.stats())).toEqual(['GetBackend']);
  });

  it.each([
    ['CreateBackend with environment ..', `/backend`, { appId: 'newapp', appName: 'n', backendEnvironmentName: '..' }],
    ['CreateBackend with app .', `/backend`, { appId: '.', appName: 'n', backendEnvironmentName: 'dev' }],
    ['CreateBackend with an empty environment', `/backend`, { appId: 'newapp', appName: 'n', backendEnvironmentName: '' }],
    ['CreateBackend with a lone surrogate', `/backend`, { appId: 'ab\ud800cd', appName: 'n', backendEnvironmentName: 'dev' }],
    ['CloneBackend to ..', `/backend/${TODO}/environments/dev/clone`, { targetEnvironmentName: '..' }],
  ])('refuses to create a name no path can address: %s', async (_what, path, body) => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    const before = stateOf(emulator);
    const res = await rawHttp(emulator.url, 'POST', path, JSON.stringify(body));
    expect({ status: res.status, errorType: res.errorType }).toEqual({ status: 400, errorType: 'BadRequestException' });
    expect(res.body.message).toMatch(/^Member (appId|backendEnvironmentName|targetEnvironmentName) must/);
    expect(stateOf(emulator)).toEqual(before);
  });
});

describe('names that are Object.prototype members are names like any other (finding 4)', () => {
  const magic = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__', 'isPrototypeOf'];
  const e = encodeURIComponent;
  /** Requests that look a name up, each expected to answer 404 NotFoundException for an unknown one. */
  const lookups = (name: string): [string, string, string, unknown?][] => [
    ['app', 'POST', `/backend/${e(name)}/details`, {}],
    ['environment', 'POST', `/backend/${TODO}/details`, { backendEnvironmentName: name }],
    ['environment in a path', 'POST', `/backend/${TODO}/api/${e(name)}/details`, { resourceName: 'todoappapi' }],
    ['API resource', 'POST', `/backend/${TODO}/api/dev/details`, { resourceName: name }],
    ['auth resource', 'POST', `/backend/${TODO}/auth/dev/details`, { resourceName: name }],
    ['storage resource', 'POST', `/backend/${TODO}/storage/dev/details`, { resourceName: name }],
    ['API resource to update', 'POST', `/backend/${TODO}/api/dev`, { resourceName: name }],
    ['job', 'GET', `/backend/${TODO}/job/dev/${e(name)}`],
    ['job to update', 'POST', `/backend/${TODO}/job/dev/${e(name)}`, {}],
    ['jobs of an environment', 'POST', `/backend/${TODO}/job/${e(name)}`, {}],
    ['session', 'GET', `/backend/${TODO}/challenge/${e(name)}`],
    ['session to delete', 'POST', `/backend/${TODO}/challenge/${e(name)}/remove`, {}],
    ['bucket to import', 'POST', `/backend/${TODO}/storage/dev/import`, { serviceName: 'S3', bucketName: name }],
    ['app of a token', 'POST', `/backend/${e(name)}/challenge`, {}],
    ['app to remove', 'POST', `/backend/${e(name)}/remove`, {}],
    ['config to update', 'POST', `/backend/${e(name)}/config/update`, {}],
  ];

  it.each(magic)('%s as every kind of name answers 404 NotFoundException and changes nothing', async (name) => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    const before = stateOf(emulator);
    const prototype = prototypeKeys();
    const answers = [];
    for (const [what, method, path, body] of lookups(name)) {
      const res = await rawHttp(emulator.url, method, path, body === undefined ? undefined : JSON.stringify(body));
      answers.push([what, res.status, res.errorType]);
    }
    expect(answers).toEqual(lookups(name).map(([what]) => [what, 404, 'NotFoundException']));
    expect(stateOf(emulator)).toEqual(before);
    expect(prototypeKeys()).toEqual(prototype);
  });

  it('creates an app __proto__ with an environment constructor, keeps it across a restart, and pollutes nothing', async () => {
    const stateFile = newStateFile();
    const prototype = prototypeKeys();
    {
      await using emulator = await usingEmulator({ stateFile });
      const client = sdkClient(emulator.url);
      await client.send(new CreateBackendCommand({ AppId: '__proto__', AppName: 'proto', BackendEnvironmentName: 'constructor' }));
      await emulator.advance(JOB_MS);
      expect(await client.send(new GetBackendCommand({ AppId: '__proto__' }))).toMatchObject({
        AppName: 'proto',
        BackendEnvironmentList: ['constructor'],
      });
      expect(Object.keys(emulator.store.snapshot().apps)).toEqual(['__proto__']);
    }
    expect(prototypeKeys()).toEqual(prototype);
    expect(({} as Record<string, unknown>).appName).toBeUndefined();

    await using restarted = await usingEmulator({ stateFile });
    const backend = await sdkClient(restarted.url).send(
      new GetBackendCommand({ AppId: '__proto__', BackendEnvironmentName: 'constructor' }),
    );
    expect(backend).toMatchObject({ AppName: 'proto', BackendEnvironmentName: 'constructor' });
    // The empty app `toString` still does not exist.
    const res = await rawHttp(restarted.url, 'POST', '/backend/toString/details', '{}');
    expect(res.status).toBe(404);
  });

  it('generates models for a type named __proto__ with a field named constructor', async () => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    const api = (path: string, body: unknown) => rawHttp(emulator.url, 'POST', `/backend/${TODO}/api/dev${path}`, JSON.stringify(body));
    const schema = 'type __proto__ @model { id: ID! constructor: String }\ntype hasOwnProperty { toString: Int }';
    expect((await api('', { resourceName: 'todoappapi', resourceConfig: { transformSchema: schema } })).status).toBe(200);
    await emulator.advance(JOB_MS);
    expect((await api('/generateModels', { resourceName: 'todoappapi' })).status).toBe(200);
    await emulator.advance(JOB_MS);
    const models = await api('/getModels', { resourceName: 'todoappapi' });
    expect(models.status).toBe(200);
    const parsed = JSON.parse(models.body.models);
    expect(Object.keys(parsed.models)).toEqual(['__proto__']);
    expect(Object.keys(parsed.models.__proto__.fields)).toEqual(['id', 'constructor', 'createdAt', 'updatedAt']);
    expect(Object.keys(parsed.nonModels)).toEqual(['hasOwnProperty']);
  });

  it('refuses a body nested deeper than 64 levels before it is stored', async () => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    const before = stateOf(emulator);
    const depth = 100_000;
    const deep = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const body = `{"backendEnvironmentName":"dev","resourceName":"deep","resourceConfig":{"extra":${deep}}}`;
    const res = await rawHttp(emulator.url, 'POST', `/backend/${TODO}/api`, body);
    expect({ status: res.status, errorType: res.errorType }).toEqual({ status: 400, errorType: 'BadRequestException' });
    expect(res.body.message).toBe('Request body is nested deeper than 64 levels');
    expect(stateOf(emulator)).toEqual(before);
    expect((await rawHttp(emulator.url, 'GET', '/_emulator/state')).status).toBe(200);
  });
});

describe('the embedded emulator listens on loopback only (finding 8)', () => {
  it('with HOST=0.0.0.0 and API keys, the emulator is on 127.0.0.1', async () => {
    const config = loadConfig({
      HOST: '0.0.0.0',
      EMULATOR_PORT: '0',
      GATEWAY_API_KEYS: 'hardening-key-0123456789=read',
      LOG_LEVEL: 'silent',
    });
    expect(config.host).toBe('0.0.0.0');
    // The gateway is built but never listens: only its emulator starts.
    await using gateway = scoped(await createGateway(config), (g) => g.stop());
    expect(gateway.emulator?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('control inputs are checked before anything moves (finding 10)', () => {
  it.each([
    ['1e308', { advanceMs: 1e308 }, /advanceMs/],
    ['-1', { advanceMs: -1 }, /advanceMs/],
    ['the string "5"', { advanceMs: '5' }, /advanceMs/],
    ['null', { advanceMs: null }, /advanceMs/],
    ['2**53', { advanceMs: 2 ** 53 }, /advanceMs/],
    ['1.5', { advanceMs: 1.5 }, /advanceMs/],
    ['nothing', {}, /advanceMs/],
    ['an unknown member', { advanceMs: 1, by: 2 }, /by/],
    ['past year 9999', { advanceMs: 8e15 }, /advanceMs would move the clock past 9999-12-31T23:59:59.999Z/],
  ])('POST /_emulator/clock with %s answers 400 and moves and saves nothing', async (_what, body, message) => {
    const stateFile = newStateFile();
    await using emulator = await usingEmulator({ seed: 'demo', stateFile });
    const saved = await readFile(stateFile, 'utf8');
    const now = emulator.clock.now();
    const res = await rawHttp(emulator.url, 'POST', '/_emulator/clock', JSON.stringify(body));
    expect({ status: res.status, errorType: res.errorType }).toEqual({ status: 400, errorType: 'BadRequestException' });
    expect(res.body.message).toMatch(message);
    expect(emulator.clock.now()).toBe(now);
    expect(await readFile(stateFile, 'utf8')).toBe(saved);
  });

  it('refuses the same in-process: advance(1e308) throws and the clock stays', async () => {
    await using emulator = await usingEmulator();
    const now = emulator.clock.now();
    await expect(emulator.advance(1e308)).rejects.toThrow(RangeError);
    expect(emulator.clock.now()).toBe(now);
  });

  it('after a refused 1e308 advance, a restart from the same state file still starts jobs', async () => {
    const stateFile = newStateFile();
    {
      await using first = await usingEmulator({ seed: 'demo', stateFile });
      const res = await rawHttp(first.url, 'POST', '/_emulator/clock', JSON.stringify({ advanceMs: 1e308 }));
      expect(res.status).toBe(400);
    }
    await using second = await usingEmulator({ seed: 'demo', stateFile });
    const job = await sdkClient(second.url).send(
      new CreateBackendCommand({ AppId: 'afterclock01', AppName: 'after', BackendEnvironmentName: 'dev' }),
    );
    expect(job.Status).toBe('IN_PROGRESS');
  });

  it.each([
    ['a huge count', { operation: 'GetBackend', type: 'throttle', count: 1e308 }, /count/],
    ['a count of 2**53', { operation: 'GetBackend', type: 'throttle', count: 2 ** 53 }, /count/],
    ['a count as a string', { operation: 'GetBackend', type: 'throttle', count: '5' }, /count/],
    ['a fractional count', { operation: 'GetBackend', type: 'throttle', count: 1.5 }, /count/],
    ['a negative delay', { operation: 'GetBackend', type: 'latency', delayMs: -1 }, /delayMs/],
    ['a delay over 10 minutes', { operation: 'GetBackend', type: 'latency', delayMs: 600_001 }, /delayMs/],
    ['forever as a string', { operation: 'GetBackend', type: 'throttle', forever: 'yes' }, /forever/],
    ['an unknown member', { operation: 'GetBackend', type: 'throttle', forEver: true }, /forEver/],
    ['an operation __proto__', { operation: '__proto__', type: 'throttle' }, /operation/],
    ['an operation constructor', { operation: 'constructor', type: 'throttle' }, /operation/],
    ['an unknown type', { operation: 'GetBackend', type: 'explode' }, /type/],
    ['a type toString', { operation: 'GetBackend', type: 'toString' }, /type/],
  ])('POST /_emulator/faults with %s answers 400 and arms nothing', async (_what, spec, message) => {
    await using emulator = await usingEmulator();
    const res = await rawHttp(emulator.url, 'POST', '/_emulator/faults', JSON.stringify(spec));
    expect({ status: res.status, errorType: res.errorType }).toEqual({ status: 400, errorType: 'BadRequestException' });
    expect(res.body.message).toMatch(message);
    expect(emulator.faults.list()).toEqual([]);
  });

  it('arms at most 1000 faults at once', async () => {
    await using emulator = await usingEmulator();
    for (let i = 0; i < 999; i++) emulator.faults.inject({ operation: 'GetBackend', type: 'throttle' });
    const spec = JSON.stringify({ operation: 'GetBackend', type: 'throttle' });
    expect((await rawHttp(emulator.url, 'POST', '/_emulator/faults', spec)).status).toBe(200);
    const res = await rawHttp(emulator.url, 'POST', '/_emulator/faults', spec);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/1000 faults/);
    expect(emulator.faults.list()).toHaveLength(1000);
  });
});

describe('a state file is checked when loaded (finding 10)', () => {
  const valid = () => ({
    version: 1,
    apps: {
      app1: {
        appId: 'app1',
        appName: 'one',
        environments: {
          dev: { name: 'dev', createTime: '2026-01-01T00:00:00.000Z', featureFlags: {}, api: {}, auth: {}, storage: {} },
        },
      },
    },
    jobs: {},
    tokens: {},
    buckets: {},
    clock: Date.parse('2026-01-01T00:00:00.000Z'),
  });

  it('loads a valid one', async () => {
    const stateFile = newStateFile();
    await writeFile(stateFile, JSON.stringify(valid()));
    await using emulator = await usingEmulator({ stateFile });
    expect((await rawHttp(emulator.url, 'POST', '/backend/app1/details', '{}')).body.backendEnvironmentList).toEqual(['dev']);
  });

  it.each<[string, (s: any) => void, string]>([
    ['an app without environments', (s) => delete s.apps.app1.environments, 'apps.app1.environments: expected an object keyed by name, got nothing'],
    ['a clock of 1e308', (s) => (s.clock = 1e308), 'clock: Too big'],
    ['a clock past year 9999', (s) => (s.clock = 8e15), 'clock: Too big'],
    ['version 2', (s) => (s.version = 2), 'version: must be 1'],
    ['buckets as a list', (s) => (s.buckets = []), 'buckets: expected an object keyed by name, got a list'],
    ['an app under another key', (s) => (s.apps.app1.appId = 'app2'), 'apps.app1.appId: must equal the key it is stored under, "app1"'],
    ['an environment with a bad createTime', (s) => (s.apps.app1.environments.dev.createTime = 'yesterday'), 'apps.app1.environments.dev.createTime'],
    [
      'a job completing at a string',
      (s) =>
        (s.jobs.j = {
          jobId: 'j', appId: 'app1', environmentNames: ['dev'], operation: 'CreateBackend', status: 'IN_PROGRESS',
          createTime: '2026-01-01T00:00:00.000Z', updateTime: '2026-01-01T00:00:00.000Z', completesAt: 'soon',
        }),
      'jobs.j.completesAt',
    ],
    [
      'a __proto__ app without a name',
      (s) => Object.defineProperty(s.apps, '__proto__', { value: { appId: '__proto__', environments: {} }, enumerable: true }),
      'apps.__proto__.appName',
    ],
  ])('refuses %s at start, naming the file and the first problem', async (_what, damage, problem) => {
    const stateFile = newStateFile();
    const state = valid();
    damage(state);
    await writeFile(stateFile, JSON.stringify(state));
    const error = await startEmulator({ stateFile }).then(
      async (emulator) => {
        await emulator.stop();
        return undefined;
      },
      (e: Error) => e,
    );
    expect(error?.message).toContain(`emulator state file ${stateFile} is not a valid emulator state: ${problem}`);
  });

  it('stops the gateway start (npm start) with that message', async () => {
    const stateFile = newStateFile();
    const state: any = valid();
    delete state.apps.app1.environments;
    await writeFile(stateFile, JSON.stringify(state));
    const config = loadConfig({ EMULATOR_PORT: '0', EMULATOR_STATE: stateFile, LOG_LEVEL: 'silent' });
    await expect(createGateway(config)).rejects.toThrow(`emulator state file ${stateFile} is not a valid emulator state: apps.app1.environments`);
  });
});
