// The emulator's Amplify console operations (ListApps, GetApp) against the SDK's own model
// (@aws-sdk/client-amplify), served over real HTTP to the real SDK client, as
// emulator-model.test.ts checks the AmplifyBackend routes.
import * as amplify from '@aws-sdk/client-amplify';
import { GetAppCommand, ListAppsCommand, NotFoundException } from '@aws-sdk/client-amplify';
import { describe, expect, it } from 'vitest';
import { consoleOperations } from '../src/emulator/console.js';
import { rawHttp, rejection, usingEmulator } from './helpers-emulator.js';
import { amplifyClient } from './helpers.js';

const model = amplify as unknown as Record<string, any>;
// An operation schema is [9, ns, name, { http: [method, uri, code] }, input, output]; a structure
// is [3, ns, name, traits, memberNames, memberSchemas, requiredCount?].
const httpOf = (name: string) => model[`${name}$`][3].http as [string, string, number];
const requiredOf = (structure: unknown[]) => (structure[4] as string[]).slice(0, (structure[6] as number | undefined) ?? 0);
const timestampMembers = (structure: unknown[]) =>
  (structure[4] as string[]).filter((_, i) => (structure[5] as unknown[])[i] === 4);

describe('the console operations the emulator serves', () => {
  it.each(consoleOperations.map((o) => [o.name, o.method, o.uri] as const))('%s is %s %s in the SDK model', (name, method, uri) => {
    const [m, u, code] = httpOf(name);
    expect([m, u, code]).toEqual([method, uri, 200]);
  });

  it('ListApps takes exactly the query members the model names', () => {
    expect(model.ListAppsRequest$[5]).toEqual([[0, { httpQuery: 'nextToken' }], [1, { httpQuery: 'maxResults' }]]);
    expect(requiredOf(model.ListAppsResult$)).toEqual(['apps']);
  });

  it('answers every required App member, timestamps as epoch seconds, on the raw wire', async () => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    const listed = await rawHttp(emulator.url, 'GET', '/apps');
    expect(listed.status).toBe(200);
    expect(listed.body.apps).toHaveLength(2);
    const got = await rawHttp(emulator.url, 'GET', '/apps/d1todoapp00001');
    for (const app of [...listed.body.apps, got.body.app]) {
      for (const member of requiredOf(model.App$)) expect(app).toHaveProperty(member);
      for (const member of timestampMembers(model.App$).filter((m) => m in app)) expect(typeof app[member]).toBe('number');
    }
    expect(requiredOf(model.GetAppResult$)).toEqual(['app']);
    expect(listed.body).not.toHaveProperty('nextToken');
  });
});

describe('ListApps and GetApp through the SDK', () => {
  it('pages with maxResults and nextToken, nextToken omitted on the last page', async () => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    for (const id of ['a1', 'b2', 'c3']) emulator.store.createBackend(`d9extra${id}`, `extra-${id}`, 'dev');
    using client = amplifyClient(emulator.url);
    const ids: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new ListAppsCommand({ maxResults: 2, nextToken }));
      expect(page.apps!.length).toBeLessThanOrEqual(2);
      ids.push(...page.apps!.map((a) => a.appId!));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    expect(pages).toBe(3);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(['d1todoapp00001', 'd2gallery00002', 'd9extraa1', 'd9extrab2', 'd9extrac3']);
    expect(emulator.stats()).toEqual({ ListApps: 3 });
  });

  it('describes an app as AmplifyBackend knows it, with the SDK parsing dates', async () => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    using client = amplifyClient(emulator.url);
    const { app } = await client.send(new GetAppCommand({ appId: 'd2gallery00002' }));
    expect(app).toMatchObject({ appId: 'd2gallery00002', name: 'photo-gallery', platform: 'WEB', defaultDomain: 'd2gallery00002.amplifyapp.com' });
    expect(app!.createTime).toBeInstanceOf(Date);
    expect(app!.appArn).toMatch(/^arn:aws:amplify:us-east-1:\d{12}:apps\/d2gallery00002$/);
  });

  it('lists an app as soon as CreateBackend names it', async () => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    emulator.store.createBackend('d3newapp00003', 'new-app', 'dev');
    using client = amplifyClient(emulator.url);
    const { apps } = await client.send(new ListAppsCommand({}));
    expect(apps!.map((a) => a.appId)).toContain('d3newapp00003');
  });

  it('answers an unknown app with NotFoundException', async () => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    using client = amplifyClient(emulator.url);
    expect(await rejection(client.send(new GetAppCommand({ appId: 'nope' })))).toBeInstanceOf(NotFoundException);
  });

  it.each([
    ['/apps?maxResults=101', 400],
    ['/apps?maxResults=-1', 400],
    ['/apps?maxResults=abc', 400],
    ['/apps?nextToken=bm9wZQ', 200],
    ['/apps?nextToken=%25%25', 400],
    [`/apps?nextToken=${'a'.repeat(2001)}`, 400],
    ['/apps/..', 400],
    ['/apps/', 400],
    ['/apps/%ff', 400],
  ])('refuses or serves %s with %i', async (path, status) => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    expect((await rawHttp(emulator.url, 'GET', path)).status).toBe(status);
  });

  it('allows only GET, saying so', async () => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    const answer = await rawHttp(emulator.url, 'POST', '/apps', '{}');
    expect(answer).toMatchObject({ status: 405, errorType: 'MethodNotAllowedException' });
  });

  it('takes injected faults like any operation', async () => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    emulator.faults.inject({ operation: 'ListApps', type: 'internal' });
    expect((await rawHttp(emulator.url, 'GET', '/apps')).status).toBe(500);
    expect((await rawHttp(emulator.url, 'GET', '/apps')).status).toBe(200);
  });
});
