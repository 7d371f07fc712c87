import { randomUUID } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccountConfig } from '../src/config-regions.js';
import { defineConfig } from '../src/config.js';
import type { Emulator } from '../src/emulator/server.js';
import type { Scheduler } from '../src/jobs/scheduler.js';
import { createGateway } from '../src/server.js';
import { fakeCredentials, startTestEmulator, type GraphQLResponse } from './helpers.js';

/** An emulator standing for one region of one account, with these apps (each with a `dev` environment). */
export interface RegionSpec {
  region: string;
  /** `default` for the gateway's own account; otherwise an account reached through the STS stand-in. */
  account?: string;
  /** The demo seed's apps, besides `apps`. */
  demo?: boolean;
  apps?: string[];
  /** Put a proxy in front of it that records the access key each request is signed with. */
  recordSigning?: boolean;
}

/**
 * One emulator per (account, region), over real HTTP, and a gateway in front of them all: the
 * first spec is the default region of the gateway's own account (AMPLIFY_REGIONS with
 * AMPLIFY_REGION_ENDPOINTS), other accounts are reached by AssumeRole against `sts`.
 */
export async function startRegionsStack(options: {
  specs: RegionSpec[];
  sts?: StsStandIn;
  scheduler?: Scheduler;
  gateway?: Parameters<typeof defineConfig>[0];
}) {
  const emulators = new Map<string, Emulator>();
  const endpoints = new Map<string, string>();
  const proxies: SigningRecorder[] = [];
  for (const spec of options.specs) {
    const emulator = await startTestEmulator({ region: spec.region, ...(spec.demo ? { seed: 'demo' as const } : {}) });
    for (const appId of spec.apps ?? []) emulator.store.createBackend(appId, `app-${appId}`, 'dev');
    await emulator.advance(60_000);
    emulator.resetStats();
    const key = `${spec.account ?? 'default'}/${spec.region}`;
    emulators.set(key, emulator);
    const proxy = spec.recordSigning ? await recordSigning(emulator.url) : undefined;
    if (proxy) proxies.push(proxy);
    endpoints.set(key, proxy?.url ?? emulator.url);
  }
  const own = options.specs.filter((s) => (s.account ?? 'default') === 'default');
  const accounts: AccountConfig[] = [...new Set(options.specs.map((s) => s.account).filter((a): a is string => !!a && a !== 'default'))].map(
    (name, i) => {
      const specs = options.specs.filter((s) => s.account === name);
      return {
        name,
        roleArn: `arn:aws:iam::${String(100000000000 + i)}:role/amplify-gateway`,
        regions: specs.map((s) => s.region),
        endpoints: Object.fromEntries(specs.map((s) => [s.region, endpoints.get(`${name}/${s.region}`)!])),
      };
    },
  );
  const gateway = await createGateway(
    defineConfig({
      upstream: {
        kind: 'aws',
        region: own[0].region,
        credentials: fakeCredentials,
        regions: own.map((s) => s.region),
        regionEndpoints: Object.fromEntries(own.map((s) => [s.region, endpoints.get(`default/${s.region}`)!])),
        ...(accounts.length ? { accounts, stsEndpoint: options.sts?.url } : {}),
      },
      upstreamMaxAttempts: 1,
      logLevel: 'silent',
      // Its tests count each region's calls, and see a region fail: nothing kept unless asked.
      upstreamCacheTtlMs: 0,
      ...options.gateway,
      access: { insecure: true, ...options.gateway?.access },
      // Whole answers are compared: the cost report has its own tests.
      limits: { costExtensions: false, ...options.gateway?.limits },
    }),
    { scheduler: options.scheduler, now: () => emulators.values().next().value!.clock.now() },
  );
  const emulator = (key: string) => {
    const found = emulators.get(key.includes('/') ? key : `default/${key}`);
    if (!found) throw new Error(`no emulator ${key}`);
    return found;
  };
  return {
    gateway,
    emulator,
    /** The access keys requests to `account/region` were signed with, in order (with `recordSigning`). */
    signedWith: (key: string) => proxies.find((p) => p.target === emulators.get(key)?.url)?.keys ?? [],
    async graphql<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
      const res = await gateway.yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as GraphQLResponse<T>;
    },
    /** Upstream calls per emulator (`account/region`) since the last `resetCalls`, only those with any. */
    calls() {
      const out: Record<string, Partial<Record<string, number>>> = {};
      for (const [key, e] of emulators) if (Object.keys(e.stats()).length) out[key] = e.stats();
      return out;
    },
    resetCalls() {
      for (const e of emulators.values()) e.resetStats();
    },
    async [Symbol.asyncDispose]() {
      await gateway.stop();
      for (const p of proxies) await p.close();
      for (const e of emulators.values()) await e.stop();
    },
  };
}

type SigningRecorder = Awaited<ReturnType<typeof recordSigning>>;

/** A pass-through HTTP proxy to `target` that records the SigV4 access key of each request. */
async function recordSigning(target: string) {
  const keys: string[] = [];
  const server = createServer((req, res) => {
    keys.push(/Credential=([^/]+)\//.exec(String(req.headers.authorization))?.[1] ?? '');
    const upstream = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    target,
    keys,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

export type RegionsStack = Awaited<ReturnType<typeof startRegionsStack>>;

/**
 * A minimal STS: AssumeRole only, in its awsQuery wire form (form-encoded POST, XML answer), so the
 * SDK's own fromTemporaryCredentials runs against it. Credentials expire `expiresInMs` after each
 * call, by `now`. It records each call's role and the access key the caller signed with.
 */
export async function startStsStandIn(options: { expiresInMs: number; now?: () => number; refuse?: boolean }) {
  const calls: { roleArn: string; sessionName: string; signedWith: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const signedWith = /Credential=([^/]+)\//.exec(String(req.headers.authorization))?.[1] ?? '';
      if (form.get('Action') !== 'AssumeRole' || options.refuse) {
        calls.push({ roleArn: form.get('RoleArn') ?? '', sessionName: form.get('RoleSessionName') ?? '', signedWith });
        res
          .writeHead(403, { 'content-type': 'text/xml' })
          .end('<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform: sts:AssumeRole</Message></Error></ErrorResponse>');
        return;
      }
      const n = calls.push({ roleArn: form.get('RoleArn') ?? '', sessionName: form.get('RoleSessionName') ?? '', signedWith });
      const expiration = new Date((options.now ?? Date.now)() + options.expiresInMs).toISOString();
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() }).end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIASTANDIN${n}</AccessKeyId>
      <SecretAccessKey>secret-${n}</SecretAccessKey>
      <SessionToken>token-${n}</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>
    <AssumedRoleUser><AssumedRoleId>AROA:${form.get('RoleSessionName')}</AssumedRoleId><Arn>${form.get('RoleArn')}</Arn></AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>
</AssumeRoleResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export type StsStandIn = Awaited<ReturnType<typeof startStsStandIn>>;
