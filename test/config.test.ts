import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig } from '../src/config.js';
import { configError, itRefusesSettings } from './helpers-config.js';

describe('loadConfig', () => {
  it('defaults to the embedded emulator and port 4000 with no settings', () => {
    expect(loadConfig({})).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      upstream: { kind: 'embedded', emulatorPort: 4010, jobSeconds: 3 },
      upstreamMaxAttempts: 3,
      upstreamTimeoutMs: 10_000,
      graphiql: true,
    });
    expect(loadConfig({})).toEqual(defaultConfig());
  });

  it('reads nothing but the settings it is given', () => {
    expect(loadConfig({ HOME: '/root', PATH: '/usr/bin', NODE_ENV: 'test' })).toEqual(
      defaultConfig(),
    );
  });

  it('reads METRICS_TOKEN, and refuses one too short to keep /metrics closed', () => {
    expect(loadConfig({ METRICS_TOKEN: 'metrics-token-0123456789' }).metricsToken).toBe('metrics-token-0123456789');
    expect(configError({ METRICS_TOKEN: 'short' }).message).toMatchInlineSnapshot(`
      "invalid configuration:
        - METRICS_TOKEN must be at least 16 characters"
    `);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', AWS_REGION: '', GRAPHIQL: '' })).toEqual(defaultConfig());
  });

  it('reads the server and emulator settings', () => {
    expect(
      loadConfig({
        PORT: '8080',
        HOST: '0.0.0.0',
        EMULATOR_PORT: '0',
        EMULATOR_JOB_SECONDS: '0.5',
        EMULATOR_STATE: '/tmp/state.json',
        UPSTREAM_MAX_ATTEMPTS: '5',
        UPSTREAM_TIMEOUT_MS: '2500',
        GRAPHIQL: 'false',
      }),
    ).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      upstream: {
        kind: 'embedded',
        emulatorPort: 0,
        jobSeconds: 0.5,
        stateFile: '/tmp/state.json',
      },
      upstreamMaxAttempts: 5,
      upstreamTimeoutMs: 2500,
      graphiql: false,
    });
  });

  it('serves the common request on the fast path unless FAST_PATH=false', () => {
    expect(loadConfig({}).fastPath).toBe(true);
    expect(loadConfig({ FAST_PATH: 'false' }).fastPath).toBe(false);
  });

  it('accepts 1 and 0 for GRAPHIQL', () => {
    expect(loadConfig({ GRAPHIQL: '1' }).graphiql).toBe(true);
    expect(loadConfig({ GRAPHIQL: '0' }).graphiql).toBe(false);
  });

  it('switches to AWS with AWS_REGION', () => {
    expect(loadConfig({ AWS_REGION: 'eu-west-1' }).upstream).toEqual({
      kind: 'aws',
      region: 'eu-west-1',
      chosenBy: 'AWS_REGION',
    });
  });

  it('switches to AWS with AWS_ENDPOINT_URL_AMPLIFYBACKEND', () => {
    expect(
      loadConfig({ AWS_ENDPOINT_URL_AMPLIFYBACKEND: 'http://127.0.0.1:4010' }).upstream,
    ).toEqual({
      kind: 'aws',
      endpoint: 'http://127.0.0.1:4010',
      chosenBy: 'AWS_ENDPOINT_URL_AMPLIFYBACKEND',
    });
  });

  it('takes both AWS settings together', () => {
    expect(
      loadConfig({
        AWS_REGION: 'us-west-2',
        AWS_ENDPOINT_URL_AMPLIFYBACKEND: 'https://amplifybackend.example.com',
      }).upstream,
    ).toEqual({ kind: 'aws', region: 'us-west-2', endpoint: 'https://amplifybackend.example.com', chosenBy: 'AWS_REGION' });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a port number'],
    [{ PORT: '70000' }, 'PORT must be from 0 to 65535'],
    [{ PORT: '1.5' }, 'PORT must be a whole number'],
    [{ EMULATOR_PORT: '-1' }, 'EMULATOR_PORT must be from 0 to 65535'],
    [{ AWS_REGION: 'nowhere' }, 'AWS_REGION must look like us-east-1'],
    [{ EMULATOR_JOB_SECONDS: '-1' }, 'EMULATOR_JOB_SECONDS must be >= 0'],
    [
      { AWS_ENDPOINT_URL_AMPLIFYBACKEND: 'notaurl' },
      'AWS_ENDPOINT_URL_AMPLIFYBACKEND must be a URL',
    ],
    [{ GRAPHIQL: 'maybe' }, 'GRAPHIQL must be true or false'],
    [{ FAST_PATH: 'yes' }, 'FAST_PATH must be true or false'],
    [{ UPSTREAM_TIMEOUT_MS: '50' }, 'UPSTREAM_TIMEOUT_MS must be from 100 to 120000'],
  ])('rejects %o with a ConfigError naming the setting', (env, problem) => {
    const error = configError(env);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe(`invalid configuration:\n  - ${problem}`);
  });

  it('reads the limits on failed authentications and GraphiQL page views, on by default', () => {
    expect(loadConfig({})).toMatchObject({ access: { authFailuresPerMinute: 60, authFailureBurst: 30 }, graphiqlPerMinute: 20 });
    expect(loadConfig({ AUTH_FAILURES_PER_MINUTE: '0', AUTH_FAILURE_BURST: '5', GRAPHIQL_PER_MINUTE: '0' })).toMatchObject({
      access: { authFailuresPerMinute: 0, authFailureBurst: 5 },
      graphiqlPerMinute: 0,
    });
  });

  itRefusesSettings([
    [{ AUTH_FAILURES_PER_MINUTE: '-1' }, 'AUTH_FAILURES_PER_MINUTE must be a whole number from 0 to 1000000'],
    [{ AUTH_FAILURES_PER_MINUTE: 'many' }, 'AUTH_FAILURES_PER_MINUTE must be a whole number from 0 to 1000000'],
    [{ AUTH_FAILURE_BURST: '0' }, 'AUTH_FAILURE_BURST must be a whole number from 1 to 1000000'],
    [{ AUTH_FAILURE_BURST: '2.5' }, 'AUTH_FAILURE_BURST must be a whole number from 1 to 1000000'],
    [{ GRAPHIQL_PER_MINUTE: '1e9' }, 'GRAPHIQL_PER_MINUTE must be a whole number from 0 to 1000000'],
    [{ GATEWAY_JWT_REQUIRE_EXP: 'no' }, 'GATEWAY_JWT_REQUIRE_EXP must be true or false'],
  ]);

  it('reads the cost settings, and their defaults', () => {
    expect(loadConfig({}).limits).toMatchObject({
      maxCost: 0,
      maxUpstreamCalls: 250,
      upstreamCallsPerMinute: 1200,
      upstreamCallsBurst: 600,
      costExtensions: true,
    });
    // A budget that is off need not hold the largest request.
    expect(loadConfig({ MAX_UPSTREAM_CALLS: '1000', UPSTREAM_CALLS_PER_MINUTE: '0', UPSTREAM_CALLS_BURST: '10' }).limits).toMatchObject({
      maxUpstreamCalls: 1000,
      upstreamCallsPerMinute: 0,
      upstreamCallsBurst: 10,
    });
  });

  itRefusesSettings([
    [{ MAX_UPSTREAM_CALLS: '0' }, 'MAX_UPSTREAM_CALLS must be a whole number from 1 to 100000'],
    [{ MAX_UPSTREAM_CALLS: 'lots' }, 'MAX_UPSTREAM_CALLS must be a whole number from 1 to 100000'],
    [{ UPSTREAM_CALLS_PER_MINUTE: '-5' }, 'UPSTREAM_CALLS_PER_MINUTE must be a whole number from 0 to 1000000'],
    [{ UPSTREAM_CALLS_BURST: '0', UPSTREAM_CALLS_PER_MINUTE: '0' }, 'UPSTREAM_CALLS_BURST must be a whole number from 1 to 1000000'],
    [
      { UPSTREAM_CALLS_BURST: '100' },
      'UPSTREAM_CALLS_BURST must be at least MAX_UPSTREAM_CALLS (250): a request the limit allows must fit in a full budget',
    ],
    [{ COST_EXTENSIONS: 'sometimes' }, 'COST_EXTENSIONS must be true or false'],
    [{ MAX_COST: '-1' }, 'MAX_COST must be a whole number from 0 to 10000000'],
  ]);

  it('names every bad setting at once', () => {
    expect(configError({ PORT: 'abc', AWS_REGION: 'nowhere', GRAPHIQL: 'maybe' }).message)
      .toMatchInlineSnapshot(`
      "invalid configuration:
        - PORT must be a port number
        - AWS_REGION must look like us-east-1
        - GRAPHIQL must be true or false"
    `);
  });
});
