import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, defineConfig, loadConfig } from '../src/config.js';
import { createGateway } from '../src/server.js';
import { checkAwsAtStart } from '../src/upstream-choice.js';
import { itRefusesSettings } from './helpers-config.js';
import { startTestEmulator } from './helpers.js';

// Starting against AWS without surprises: UPSTREAM chooses, an AWS setting exported in a shell is
// named by every refusal along with the way back, and missing credentials are said at start.

/** The SDK's default credential chain with nothing to find: no variables, no files, no instance role. */
const emptyChain = {
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  AWS_ROLE_ARN: undefined,
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
  AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'amplifybackend-graphql-no-such-credentials'),
  AWS_CONFIG_FILE: join(tmpdir(), 'amplifybackend-graphql-no-such-config'),
  AWS_EC2_METADATA_DISABLED: 'true',
};

describe('UPSTREAM', () => {
  it('emulator wins over AWS settings exported in the shell, which are then not even read', () => {
    const config = loadConfig({ UPSTREAM: 'emulator', AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_AMPLIFYBACKEND: 'https://example.com' });
    expect(config.upstream).toEqual({ kind: 'embedded', emulatorPort: 4010, jobSeconds: 3 });
    expect(loadConfig({ UPSTREAM: 'emulator', AWS_REGION: 'not a region' }).upstream.kind).toBe('embedded');
  });

  it('aws chooses AWS without AWS_REGION (the SDK finds the region), and says it chose', () => {
    expect(loadConfig({ UPSTREAM: 'aws' }).upstream).toEqual({ kind: 'aws', chosenBy: 'UPSTREAM' });
    expect(loadConfig({ UPSTREAM: 'aws', AWS_REGION: 'eu-west-1', REQUIRE_AWS_CREDENTIALS: 'true' }).upstream).toEqual({
      kind: 'aws',
      region: 'eu-west-1',
      chosenBy: 'UPSTREAM',
      requireCredentials: true,
    });
  });

  it('unset, an AWS setting still chooses AWS, and is remembered as the cause', () => {
    expect(loadConfig({ AWS_REGION: 'eu-west-1' }).upstream).toMatchObject({ kind: 'aws', chosenBy: 'AWS_REGION' });
    expect(loadConfig({ AWS_ENDPOINT_URL_AMPLIFYBACKEND: 'http://127.0.0.1:4010' }).upstream).toMatchObject({
      kind: 'aws',
      chosenBy: 'AWS_ENDPOINT_URL_AMPLIFYBACKEND',
    });
  });

  itRefusesSettings([
    [{ UPSTREAM: 'AWS' }, 'UPSTREAM must be emulator or aws'],
    [{ UPSTREAM: 'amplify' }, 'UPSTREAM must be emulator or aws'],
    [{ REQUIRE_AWS_CREDENTIALS: 'yes' }, 'REQUIRE_AWS_CREDENTIALS must be true or false'],
  ]);
});

describe('the refusal to serve AWS open', () => {
  const refusal = (env: Record<string, string>) =>
    createGateway(loadConfig({ LOG_LEVEL: 'silent', ...env })).then(
      () => {
        throw new Error('started');
      },
      (error: unknown) => {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      },
    );

  it('names AWS_REGION, which chose AWS, and the way back to the emulator', async () => {
    expect(await refusal({ AWS_REGION: 'eu-west-1' })).toMatchInlineSnapshot(
      `"AWS_REGION is set (eu-west-1), so the gateway talks to AWS AmplifyBackend: refusing to serve AWS with no access control: set GATEWAY_API_KEYS, GATEWAY_JWT_SECRET or GATEWAY_JWKS_URL, or start with --insecure (GATEWAY_INSECURE=true) to run open on purpose; or set UPSTREAM=emulator (or unset AWS_REGION) to use the embedded emulator instead"`,
    );
  });

  it('names AWS_ENDPOINT_URL_AMPLIFYBACKEND, or UPSTREAM=aws, when that chose', async () => {
    expect(await refusal({ AWS_ENDPOINT_URL_AMPLIFYBACKEND: 'http://127.0.0.1:9' })).toMatch(
      /^AWS_ENDPOINT_URL_AMPLIFYBACKEND is set \(http:\/\/127\.0\.0\.1:9\), so the gateway talks to it as AmplifyBackend: refusing .*; or set UPSTREAM=emulator \(or unset AWS_ENDPOINT_URL_AMPLIFYBACKEND\) to use the embedded emulator instead$/,
    );
    expect(await refusal({ UPSTREAM: 'aws', AWS_REGION: 'eu-west-1' })).toMatch(
      /^UPSTREAM=aws, so the gateway talks to AWS AmplifyBackend: refusing .*; or set UPSTREAM=emulator to use the embedded emulator instead$/,
    );
  });

  it('is not made with UPSTREAM=emulator, whatever AWS_REGION says', async () => {
    const gateway = await createGateway(loadConfig({ UPSTREAM: 'emulator', AWS_REGION: 'eu-west-1', EMULATOR_PORT: '0', LOG_LEVEL: 'silent' }));
    try {
      expect(gateway.emulator).toBeDefined();
    } finally {
      await gateway.stop();
    }
  });
});

describe('credentials at start', () => {
  beforeEach(() => {
    for (const [name, value] of Object.entries(emptyChain)) vi.stubEnv(name, value);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const check = async (env: Record<string, string>) => {
    const warnings: string[] = [];
    const found = await checkAwsAtStart(loadConfig(env), { warn: (m) => warnings.push(m) });
    return { found, warnings };
  };

  it('warns, plainly and once, when the default chain finds none, naming what chose AWS', async () => {
    expect(await check({ AWS_REGION: 'eu-west-1' })).toEqual({
      found: 'in eu-west-1, no credentials',
      warnings: [
        'AWS_REGION is set (eu-west-1), so the gateway talks to AWS AmplifyBackend: no AWS credentials found ' +
          "(Could not load credentials from any providers): the SDK's default chain looked in AWS_ACCESS_KEY_ID / " +
          'AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, SSO, a web identity token, the container credentials ' +
          'endpoint and the EC2 instance role; every upstream call would fail (REQUIRE_AWS_CREDENTIALS=true ' +
          'refuses to start instead); or set UPSTREAM=emulator (or unset AWS_REGION) to use the embedded emulator instead',
      ],
    });
  });

  it('refuses to start with REQUIRE_AWS_CREDENTIALS=true', async () => {
    const error = await check({ UPSTREAM: 'aws', AWS_REGION: 'eu-west-1', REQUIRE_AWS_CREDENTIALS: 'true' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /^UPSTREAM=aws, so the gateway talks to AWS AmplifyBackend: refusing to start \(REQUIRE_AWS_CREDENTIALS=true\): no AWS credentials found .*; or set UPSTREAM=emulator to use the embedded emulator instead$/,
    );
  });

  it('says where credentials come from when the chain finds them', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE00000000');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'example-secret');
    expect(await check({ UPSTREAM: 'aws', AWS_REGION: 'eu-west-1', REQUIRE_AWS_CREDENTIALS: 'true' })).toEqual({
      found: 'in eu-west-1, credentials from environment variables (AWS_ACCESS_KEY_ID)',
      warnings: [],
    });
  });

  it('says when there is no region either', async () => {
    vi.stubEnv('AWS_REGION', undefined);
    const { found, warnings } = await check({ UPSTREAM: 'aws' });
    expect(found).toBe('no region, no credentials');
    expect(warnings).toEqual([expect.stringMatching(/^UPSTREAM=aws, so the gateway talks to AWS AmplifyBackend: no AWS region: set AWS_REGION/)]);
  });

  it('started anyway, /ready answers 503 with the SDK\'s reason, and queries fail', async () => {
    await using emulator = Object.assign(await startTestEmulator({ seed: 'demo' }), { [Symbol.asyncDispose]: () => emulator.stop() });
    const gateway = await createGateway(
      defineConfig({ upstream: { kind: 'aws', endpoint: emulator.url, region: 'eu-west-1' }, access: { insecure: true }, logLevel: 'silent', upstreamMaxAttempts: 1 }),
    );
    try {
      const base = (await gateway.start(0, '127.0.0.1')).replace(/\/graphql$/, '');
      const ready = await fetch(`${base}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'not ready',
        checks: { upstream: expect.stringMatching(/Could not load credentials from any providers/) },
      });
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ app(appId: "d1todoapp00001") { appName } }' }),
      });
      const body = (await res.json()) as { data: unknown; errors: { message: string }[] };
      expect(body.data).toEqual({ app: null });
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: 'The gateway could not call AmplifyBackend (GetBackend): Could not load credentials from any providers',
          extensions: expect.objectContaining({ code: 'UPSTREAM_ERROR', awsErrorName: 'CredentialsProviderError' }),
        }),
      ]);
      // Nothing reached AmplifyBackend: the SDK could not sign.
      expect(emulator.stats()).toEqual({});
    } finally {
      await gateway.stop();
    }
  });

  it('checks nothing for the emulator', async () => {
    expect(await check({ AWS_REGION: 'eu-west-1', UPSTREAM: 'emulator', REQUIRE_AWS_CREDENTIALS: 'true' })).toEqual({ found: undefined, warnings: [] });
  });
});

/** `npm start` from source, in a process of its own: its exit code (null while it runs), stdout and stderr. */
async function startMain(env: Record<string, string>, until: (stdout: string) => boolean) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), PORT: '0', LOG_LEVEL: 'warn', ...emptyChain, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout += `${line}\n`;
      if (until(stdout)) resolve();
    });
    void exited.then(() => resolve());
  });
  const code = child.exitCode;
  if (code === null) {
    child.kill('SIGTERM');
    await exited;
  }
  return { code, stdout, stderr };
}

describe('npm start against AWS (a process of its own)', () => {
  it('refuses with REQUIRE_AWS_CREDENTIALS=true and no credentials, naming AWS_REGION and UPSTREAM=emulator', async () => {
    const run = await startMain({ AWS_REGION: 'eu-west-1', GATEWAY_INSECURE: 'true', REQUIRE_AWS_CREDENTIALS: 'true' }, () => false);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /amplifybackend-graphql: AWS_REGION is set \(eu-west-1\), so the gateway talks to AWS AmplifyBackend: refusing to start \(REQUIRE_AWS_CREDENTIALS=true\): no AWS credentials found .*; or set UPSTREAM=emulator \(or unset AWS_REGION\) to use the embedded emulator instead\n/,
    );
  });

  it('starts with a warning by default, and says which setting chose AWS', async () => {
    const run = await startMain({ AWS_REGION: 'eu-west-1', GATEWAY_INSECURE: 'true' }, (out) => out.includes('upstream:'));
    expect(run.code).toBe(null);
    expect(run.stderr).toMatch(/amplifybackend-graphql: warning: AWS_REGION is set \(eu-west-1\), so the gateway talks to AWS AmplifyBackend: no AWS credentials found/);
    expect(run.stdout).toContain('upstream: AmplifyBackend in eu-west-1, no credentials\n');
  });
});
