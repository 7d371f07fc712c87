// Several accounts (AMPLIFY_ACCOUNTS): the gateway's own account and `prod`, reached by STS
// AssumeRole against a stand-in the test starts (never AWS), each an emulator over real HTTP.
import { describe, expect, it } from 'vitest';
import { REFRESH_BEFORE_EXPIRY_MS, shareCredentials } from '../src/aws/assume-role.js';
import { fakeCredentials } from './helpers.js';
import { startRegionsStack, startStsStandIn } from './helpers-regions.js';

const PROD_APP = 'd6prodapp00006';
const specs = [
  { region: 'us-east-1', demo: true },
  // The same region name in another account: apps are told apart by account, not region.
  { region: 'us-east-1', account: 'prod', apps: [PROD_APP] },
  { region: 'eu-west-1', account: 'prod', apps: ['d7prodeu00007'] },
];

describe('two accounts', () => {
  it('lists the apps of both, naming the account, with the role assumed once for all its regions', async () => {
    await using sts = await startStsStandIn({ expiresInMs: 3_600_000 });
    await using stack = await startRegionsStack({ specs, sts });
    const { data, errors } = await stack.graphql('{ apps { edges { node { appId account region } } unavailable { account } } }');
    expect(errors).toBeUndefined();
    expect(data.apps.edges.map((e: any) => e.node)).toEqual([
      { appId: 'd1todoapp00001', account: 'default', region: 'us-east-1' },
      { appId: 'd2gallery00002', account: 'default', region: 'us-east-1' },
      { appId: PROD_APP, account: 'prod', region: 'us-east-1' },
      { appId: 'd7prodeu00007', account: 'prod', region: 'eu-west-1' },
    ]);
    expect(sts.calls).toEqual([
      // Signed with the gateway's own identity.
      { roleArn: 'arn:aws:iam::100000000000:role/amplify-gateway', sessionName: 'amplifybackend-graphql-prod', signedWith: fakeCredentials.accessKeyId },
    ]);
    expect(stack.calls()).toEqual({
      'default/us-east-1': { ListApps: 1 },
      'prod/us-east-1': { ListApps: 1 },
      'prod/eu-west-1': { ListApps: 1 },
    });
  });

  it("signs each account's calls with its own credentials: the assumed role's, the gateway's own", async () => {
    await using sts = await startStsStandIn({ expiresInMs: 3_600_000 });
    await using stack = await startRegionsStack({
      specs: specs.map((s) => ({ ...s, recordSigning: true })),
      sts,
    });
    await stack.graphql('{ apps { edges { node { appId } } } }');
    expect(stack.signedWith('default/us-east-1')).toEqual([fakeCredentials.accessKeyId]);
    expect(stack.signedWith('prod/us-east-1')).toEqual(['ASIASTANDIN1']);
    expect(stack.signedWith('prod/eu-west-1')).toEqual(['ASIASTANDIN1']);
  });

  it("sends an app's reads and writes to its account", async () => {
    await using sts = await startStsStandIn({ expiresInMs: 3_600_000 });
    await using stack = await startRegionsStack({ specs, sts });
    const read = await stack.graphql(`{ app(appId: "${PROD_APP}") { account region environments { name } } }`);
    expect(read).toEqual({ data: { app: { account: 'prod', region: 'us-east-1', environments: [{ name: 'dev' }] } } });
    stack.resetCalls();
    const written = await stack.graphql(
      `mutation { createBackend(input: { appId: "${PROD_APP}", appName: "p", environmentName: "staging" }) { app { account } job { jobId } } }`,
    );
    expect(written.errors).toBeUndefined();
    expect(stack.calls()['prod/us-east-1']).toMatchObject({ CreateBackend: 1 });
    expect(Object.keys(stack.calls())).toEqual(['prod/us-east-1']);
  });

  it('assumes the role again only when its credentials near expiry', async () => {
    let now = Date.parse('2026-12-06T00:00:00Z');
    // Each AssumeRole answers credentials valid for 20 minutes, by the stand-in's clock.
    await using sts = await startStsStandIn({ expiresInMs: 20 * 60_000, now: () => now });
    const realNow = Date.now;
    Date.now = () => now;
    try {
      await using stack = await startRegionsStack({ specs, sts });
      await stack.graphql(`{ app(appId: "${PROD_APP}") { appName } }`);
      await stack.graphql(`{ app(appId: "${PROD_APP}") { appName } }`);
      expect(sts.calls).toHaveLength(1);
      // Within the refresh window before expiry: renewed before the next call, not after it fails.
      now += 20 * 60_000 - REFRESH_BEFORE_EXPIRY_MS + 1000;
      await stack.graphql(`{ app(appId: "${PROD_APP}") { appName } }`);
      expect(sts.calls).toHaveLength(2);
      expect(sts.calls[1].signedWith).toBe(fakeCredentials.accessKeyId);
    } finally {
      Date.now = realNow;
    }
  });

  it("keeps serving the gateway's own account when the role cannot be assumed, and says which account is missing", async () => {
    await using sts = await startStsStandIn({ expiresInMs: 3_600_000, refuse: true });
    await using stack = await startRegionsStack({ specs, sts });
    const { data, errors } = await stack.graphql('{ apps { edges { node { appId } } unavailable { account region code } } }');
    expect(errors).toBeUndefined();
    expect(data.apps.edges.map((e: any) => e.node.appId)).toEqual(['d1todoapp00001', 'd2gallery00002']);
    expect(data.apps.unavailable).toEqual([
      { account: 'prod', region: 'us-east-1', code: 'UPSTREAM_ERROR' },
      { account: 'prod', region: 'eu-west-1', code: 'UPSTREAM_ERROR' },
    ]);
    // Nothing reached the account's emulators unsigned or signed with the gateway's own keys.
    expect(Object.keys(stack.calls())).toEqual(['default/us-east-1']);
  });
});

describe('credentials renewed before they expire', () => {
  const identity = (key: string, expiresAt: number) => ({ accessKeyId: key, secretAccessKey: 's', expiration: new Date(expiresAt) });

  it('serve the ones held while they are valid when a renewal fails, and fail once they are not', async () => {
    let now = 0;
    const answers: (() => Promise<ReturnType<typeof identity>>)[] = [
      async () => identity('first', 3_600_000),
      async () => {
        throw new Error('STS throttled');
      },
      async () => {
        throw new Error('STS throttled');
      },
      async () => identity('second', 7_200_000),
    ];
    let calls = 0;
    const credentials = shareCredentials(() => answers[calls++]!(), () => now);
    expect((await credentials()).accessKeyId).toBe('first');
    // Within the renewal window: the renewal fails, the held ones are still good for a minute.
    now = 3_600_000 - 60_000;
    expect((await credentials()).accessKeyId).toBe('first');
    // Expired: a failed renewal is the caller's error.
    now = 3_600_000 + 1;
    await expect(credentials()).rejects.toThrow('STS throttled');
    expect((await credentials()).accessKeyId).toBe('second');
    expect(calls).toBe(4);
    expect(REFRESH_BEFORE_EXPIRY_MS).toBeGreaterThan(60_000);
  });
});
