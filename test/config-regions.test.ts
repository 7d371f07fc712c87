import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { itRefusesSettings } from './helpers-config.js';
import { readmeExample } from './helpers-readme.js';

const role = 'arn:aws:iam::123456789012:role/amplify-gateway';
const accounts = (list: unknown) => JSON.stringify(list);
const aws = { AWS_REGION: 'us-east-1' };

describe('AMPLIFY_REGIONS, AMPLIFY_REGION_ENDPOINTS, AMPLIFY_ACCOUNTS', () => {
  it('reads the regions with AWS_REGION first as the default, and an endpoint per region', () => {
    const config = loadConfig({
      ...aws,
      AMPLIFY_REGIONS: 'eu-west-1, us-east-1',
      AMPLIFY_REGION_ENDPOINTS: 'us-east-1=http://127.0.0.1:4010,eu-west-1=http://127.0.0.1:4011',
      AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:4012',
    });
    expect(config.upstream).toMatchObject({
      kind: 'aws',
      region: 'us-east-1',
      regions: ['us-east-1', 'eu-west-1'],
      regionEndpoints: { 'us-east-1': 'http://127.0.0.1:4010', 'eu-west-1': 'http://127.0.0.1:4011' },
      stsEndpoint: 'http://127.0.0.1:4012',
    });
  });

  it('reads accounts from AMPLIFY_ACCOUNTS or from a file', () => {
    const list = [{ name: 'prod', roleArn: role, regions: ['us-east-1', 'eu-west-1'], externalId: 'team-42' }];
    expect(loadConfig({ ...aws, AMPLIFY_ACCOUNTS: accounts(list) }).upstream).toMatchObject({ accounts: list });
    const file = join(mkdtempSync(join(tmpdir(), 'accounts-')), 'accounts.json');
    writeFileSync(file, accounts(list));
    expect(loadConfig({ ...aws, AMPLIFY_ACCOUNTS_FILE: file }).upstream).toMatchObject({ accounts: list });
  });

  it("accepts the README's accounts", () => {
    const [block] = readmeExample('accounts');
    expect(loadConfig({ ...aws, AMPLIFY_ACCOUNTS: block.body }).upstream).toMatchObject({ accounts: JSON.parse(block.body) });
  });

  it('reads none of them when UPSTREAM=emulator chose the emulator', () => {
    expect(loadConfig({ UPSTREAM: 'emulator', AMPLIFY_REGIONS: 'nonsense' }).upstream.kind).toBe('embedded');
  });

  itRefusesSettings([
    [{ AMPLIFY_REGIONS: 'us-east-1,eu-west-1' }, 'AMPLIFY_REGIONS is for AWS: set AWS_REGION (or UPSTREAM=aws) too; the embedded emulator is one region of one account'],
    [{ ...aws, AMPLIFY_REGIONS: 'us-east-1,Europe' }, 'AMPLIFY_REGIONS must be 1 to 32 different regions, comma-separated (us-east-1,eu-west-1); "Europe" is not one'],
    [{ ...aws, AMPLIFY_REGIONS: 'us-east-1,us-east-1' }, 'AMPLIFY_REGIONS must be 1 to 32 different regions, comma-separated (us-east-1,eu-west-1)'],
    [{ ...aws, AMPLIFY_REGIONS: 'eu-west-1' }, 'AMPLIFY_REGIONS must include AWS_REGION (us-east-1), the default region'],
    [{ ...aws, AMPLIFY_REGION_ENDPOINTS: 'eu-west-1=http://127.0.0.1:1' }, 'AMPLIFY_REGION_ENDPOINTS names eu-west-1, which is not one of AMPLIFY_REGIONS (or AWS_REGION)'],
    [{ ...aws, AMPLIFY_REGION_ENDPOINTS: 'us-east-1=ftp://x' }, 'AMPLIFY_REGION_ENDPOINTS must be region=URL pairs, comma-separated, each region once (us-east-1=http://127.0.0.1:4010)'],
    [{ ...aws, AMPLIFY_ACCOUNTS: '{' }, "AMPLIFY_ACCOUNTS must be a JSON list of { name, roleArn, regions }: Expected property name or '}' in JSON at position 1"],
    [{ ...aws, AMPLIFY_ACCOUNTS: accounts([{ name: 'default', roleArn: role, regions: ['us-east-1'] }]) }, 'AMPLIFY_ACCOUNTS[0].name: "default" names the gateway\'s own identity'],
    [{ ...aws, AMPLIFY_ACCOUNTS: accounts([{ name: 'prod', roleArn: 'arn:aws:iam::1:user/x', regions: ['us-east-1'] }]) }, 'AMPLIFY_ACCOUNTS[0].roleArn: roleArn must be an IAM role ARN (arn:aws:iam::123456789012:role/NAME)'],
    [{ ...aws, AMPLIFY_ACCOUNTS: accounts([{ name: 'prod', roleArn: role, regions: [] }]) }, 'AMPLIFY_ACCOUNTS[0].regions: regions must name at least one region'],
    [{ ...aws, AMPLIFY_ACCOUNTS: `[{"name":"prod","roleArn":"${role}","regions":["us-east-1"],"__proto__":{"admin":true}}]` }, 'AMPLIFY_ACCOUNTS[0]: Unrecognized key: "__proto__"'],
    [{ ...aws, AMPLIFY_ACCOUNTS: accounts([{ name: 'p', roleArn: role, regions: ['us-east-1'] }, { name: 'p', roleArn: role, regions: ['us-east-1'] }]) }, 'AMPLIFY_ACCOUNTS[1].name: account p is named twice'],
    [{ ...aws, AMPLIFY_ACCOUNTS: accounts([{ name: 'p', roleArn: role, regions: ['us-east-1'], endpoints: { 'eu-west-1': 'http://x' } }]) }, "AMPLIFY_ACCOUNTS[0].endpoints.eu-west-1: eu-west-1 is not one of the account's regions"],
    [{ ...aws, AMPLIFY_ACCOUNTS: '[]', AMPLIFY_ACCOUNTS_FILE: '/x' }, 'AMPLIFY_ACCOUNTS_FILE cannot be read: ENOENT: no such file or directory, open \'/x\''],
    [{ ...aws, AMPLIFY_ACCOUNTS_FILE: '/nonexistent/accounts.json' }, "AMPLIFY_ACCOUNTS_FILE cannot be read: ENOENT: no such file or directory, open '/nonexistent/accounts.json'"],
    [
      { ...aws, AMPLIFY_ACCOUNTS: accounts(Array.from({ length: 3 }, (_, i) => ({ name: `a${i}`, roleArn: role, regions: Array.from({ length: 30 }, (_, r) => `us-east-${r + 1}`) }))) },
      'AMPLIFY_ACCOUNTS: at most 64 regions in all accounts together, got 91',
    ],
    [{ ...aws, AWS_ENDPOINT_URL_STS: 'nope' }, 'AWS_ENDPOINT_URL_STS: an endpoint must be an http:// or https:// URL'],
  ]);
});
