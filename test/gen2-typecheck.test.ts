import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiAuthType } from '../src/aws/map.js';
import { exportGen2 } from '../src/gen2/backend.js';
import type { Gen2Export } from '../src/gen2/model.js';
import { startStack } from './helpers.js';
import { apiModel, authModel, exportOf, storageModel } from './helpers-gen2.js';
import { root } from './helpers-readme.js';

// The generated files type-check against @aws-amplify/backend's own types (with aws-cdk-lib and
// constructs), installed in gen2-typecheck/ apart from the root package: `npm run
// gen2:typecheck:install` (see README, Gen 2 export, for why). Without that install this file is
// skipped, unless GEN2_TYPECHECK=require makes it fail instead.

const packageDir = join(root, 'gen2-typecheck');
const installed = existsSync(join(packageDir, 'node_modules/@aws-amplify/backend/package.json'));
if (!installed && process.env.GEN2_TYPECHECK === 'require') throw new Error('GEN2_TYPECHECK=require: run `npm run gen2:typecheck:install` first');

const mfaModes = ['OFF', 'ON', 'OPTIONAL'] as const;
const mfaTypeSets = [[], ['SMS'], ['TOTP'], ['SMS', 'TOTP']] as const;
const providers = {
  google: { clientId: 'g', clientSecretSet: true },
  facebook: { clientId: 'f', clientSecretSet: false },
  loginWithAmazon: { clientId: 'a', clientSecretSet: true },
  signInWithApple: { clientId: 'c', keyId: 'k', teamId: 't', privateKeySet: true },
};
const oidc: ApiAuthType = { mode: 'OPENID_CONNECT', settings: { openIDProviderName: 'okta', openIDIssueURL: 'https://okta', openIDClientId: 'c', openIDAuthTTL: '1000' } };
const hostile = '`; process.exit()// ${x} \\ \u2028 */ "\'';

/** Edge cases: every MFA and OAuth combination the model allows, imported and missing resources. */
function edgeCases(): Record<string, Gen2Export> {
  const cases: Record<string, Gen2Export> = {};
  for (const mfaMode of mfaModes) {
    for (const types of mfaTypeSets) {
      const smsMessage = (types as readonly string[]).includes('SMS') ? 'Your code {####}' : undefined;
      cases[`mfa-${mfaMode}-${types.join('-') || 'none'}`] = exportOf({ auth: authModel({ mfa: { mfaMode, settings: { mfaTypes: [...types], smsMessage } } }) });
    }
  }
  for (const grant of ['CODE', 'IMPLICIT'] as const) {
    cases[`oauth-${grant}-all-providers`] = exportOf({
      auth: authModel({
        oAuth: { oAuthGrantType: grant, domainPrefix: 'pre', oAuthScopes: ['PHONE', 'EMAIL', 'OPENID', 'PROFILE', 'AWS_COGNITO_SIGNIN_USER_ADMIN'], redirectSignInURIs: ['https://a/'], redirectSignOutURIs: ['https://a/out'], socialProviderSettings: providers },
      }),
    });
    cases[`oauth-${grant}-no-provider`] = exportOf({ auth: authModel({ oAuth: { oAuthGrantType: grant, oAuthScopes: [], redirectSignInURIs: [], redirectSignOutURIs: [] } }) });
  }
  for (const signInMethod of ['EMAIL', 'PHONE_NUMBER', 'EMAIL_AND_PHONE_NUMBER', 'USERNAME'] as const) {
    cases[`sign-in-${signInMethod}`] = exportOf({
      auth: authModel({
        signInMethod,
        requiredSignUpAttributes: ['ADDRESS', 'BIRTHDATE', 'EMAIL', 'FAMILY_NAME', 'GENDER', 'GIVEN_NAME', 'LOCALE', 'MIDDLE_NAME', 'NAME', 'NICKNAME', 'PHONE_NUMBER', 'PICTURE', 'PREFERRED_USERNAME', 'PROFILE', 'UPDATED_AT', 'WEBSITE', 'ZONE_INFO'],
        verificationMessage: signInMethod === 'PHONE_NUMBER' ? { deliveryMethod: 'SMS', smsSettings: { smsMessage: 'Code {####}' } } : { deliveryMethod: 'EMAIL', emailSettings: { emailSubject: 'S', emailMessage: 'Code {####}' } },
        forgotPassword: { deliveryMethod: signInMethod === 'PHONE_NUMBER' ? 'SMS' : 'EMAIL' },
        passwordPolicy: { minimumLength: 10, additionalConstraints: ['REQUIRE_DIGIT', 'REQUIRE_SYMBOL'] },
      }),
    });
  }
  cases['user-pool-only-no-storage'] = exportOf({ auth: authModel({}, { authResources: 'USER_POOL_ONLY', identityPoolConfigs: undefined }), apis: { api: apiModel() } });
  cases['imported-auth-and-bucket'] = exportGen2({
    auth: { resourceName: 'imp', config: null, imported: { userPoolId: 'us-east-1_x', userPoolClientId: 'c', identityPoolId: 'us-east-1:i' } },
    apis: [{ resourceName: 'api', config: apiModel() }],
    storages: [{ resourceName: 'media', config: storageModel({ imported: true }), region: 'us-east-1' }],
  });
  cases['several-apis-and-storages'] = exportOf({
    auth: authModel(),
    apis: {
      first: apiModel({ defaultAuthType: { mode: 'API_KEY', settings: { expirationTime: 30 } }, additionalAuthTypes: [oidc, { mode: 'AWS_IAM' }, { mode: 'AMAZON_COGNITO_USER_POOLS' }] }),
      second: apiModel({ defaultAuthType: oidc, conflictResolution: 'AUTOMERGE' }),
    },
    storages: { photos: storageModel({ permissions: { authenticated: ['READ', 'CREATE_AND_UPDATE', 'DELETE'], unAuthenticated: ['READ'] } }), docs: storageModel({ permissions: { authenticated: [], unAuthenticated: [] } }) },
  });
  cases['no-auth'] = exportOf({ apis: { api: apiModel({ defaultAuthType: { mode: 'AWS_IAM' } }) }, storages: { s: storageModel() } });
  cases['hostile-strings'] = exportOf({
    auth: authModel({ verificationMessage: { deliveryMethod: 'EMAIL', emailSettings: { emailSubject: hostile, emailMessage: `${hostile}{####}` } }, oAuth: { oAuthGrantType: 'CODE', oAuthScopes: [], redirectSignInURIs: [hostile], redirectSignOutURIs: [] } }),
    apis: { [hostile]: apiModel({ apiName: hostile, transformSchema: `type T @model { id: ID! }\n# ${hostile}\n` }) },
    storages: { [hostile]: storageModel() },
  });
  cases.empty = exportOf({});
  return cases;
}

/** The demo environments, exported through the gateway. */
async function demoCases(): Promise<Record<string, Gen2Export>> {
  await using stack = await startStack();
  const cases: Record<string, Gen2Export> = {};
  for (const [appId, env] of [['d1todoapp00001', 'dev'], ['d1todoapp00001', 'prod'], ['d2gallery00002', 'staging']]) {
    const res = await stack.graphql(`{ backendEnvironment(appId: "${appId}", name: "${env}") { gen2 { files { path contents } notes { resource severity message } } } }`);
    cases[`demo-${appId}-${env}`] = res.data.backendEnvironment.gen2;
  }
  return cases;
}

const tsc = join(root, 'node_modules/typescript/bin/tsc');

/** Writes each case as a Gen 2 project under `dir`, and a tsconfig with the generated compiler options over all of them. */
function writeCases(dir: string, cases: Record<string, Gen2Export>) {
  for (const [name, exported] of Object.entries(cases)) {
    for (const file of exported.files) {
      const path = join(dir, name, file.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.contents);
    }
  }
  const generated = JSON.parse(readFileSync(join(dir, Object.keys(cases)[0], 'amplify/tsconfig.json'), 'utf8'));
  const { paths: _paths, ...compilerOptions } = generated.compilerOptions;
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, noEmit: true, types: [] }, include: ['*/amplify/**/*.ts'] }));
}

async function typecheck(dir: string): Promise<{ code: number; output: string }> {
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: '' };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, output: failed.stdout };
  }
}

describe.skipIf(!installed)('generated files against @aws-amplify/backend 1.25 types', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(packageDir, 'cases-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the demo environments and every edge case type-check', { timeout: 180_000 }, async () => {
    const cases = { ...(await demoCases()), ...edgeCases() };
    expect(Object.keys(cases).length).toBe(29);
    writeCases(join(dir, 'good'), cases);
    expect(await typecheck(join(dir, 'good'))).toEqual({ code: 0, output: '' });
  });

  it('a file against the types fails the check: the check is real', { timeout: 180_000 }, async () => {
    const exported = exportOf({ auth: authModel() });
    const wrong = exported.files.map((f) =>
      f.path === 'amplify/auth/resource.ts' ? { ...f, contents: f.contents.replace('loginWith: {', 'loginWith: {\n    username: true,') } : f,
    );
    writeCases(join(dir, 'bad'), { wrong: { ...exported, files: wrong } });
    const result = await typecheck(join(dir, 'bad'));
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/wrong\/amplify\/auth\/resource\.ts.*'username' does not exist/s);
  });
});
