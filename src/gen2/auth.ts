import type { AuthConfig, MessageConfig, MfaConfig, OAuthConfig, PasswordPolicy, SocialProviders, UserPoolConfig } from '../aws/map.js';
import type { AuthSource, ImportedAuth, ResourcePart } from './model.js';
import { note, setSecret, type Gen2Note } from './notes.js';
import { code, literal, messageCallback, print, type Value } from './source.js';

// Gen 1 (AmplifyBackend) auth config -> amplify/auth/resource.ts (defineAuth, or referenceAuth for
// an imported user pool) and the backend.ts overrides for what defineAuth has no option for.

export const AUTH_FILE = 'amplify/auth/resource.ts';

/** RequiredSignUpAttributesElement -> the CDK StandardAttributes key defineAuth's userAttributes takes. */
export const userAttributeKeys = {
  ADDRESS: 'address',
  BIRTHDATE: 'birthdate',
  EMAIL: 'email',
  FAMILY_NAME: 'familyName',
  GENDER: 'gender',
  GIVEN_NAME: 'givenName',
  LOCALE: 'locale',
  MIDDLE_NAME: 'middleName',
  NAME: 'fullname',
  NICKNAME: 'nickname',
  PHONE_NUMBER: 'phoneNumber',
  PICTURE: 'profilePicture',
  PREFERRED_USERNAME: 'preferredUsername',
  PROFILE: 'profilePage',
  UPDATED_AT: 'lastUpdateTime',
  WEBSITE: 'website',
  ZONE_INFO: 'timezone',
} as const;

/** OAuthScopesElement -> externalProviders.scopes. */
export const oAuthScopes = { PHONE: 'PHONE', EMAIL: 'EMAIL', OPENID: 'OPENID', PROFILE: 'PROFILE', AWS_COGNITO_SIGNIN_USER_ADMIN: 'COGNITO_ADMIN' } as const;

/** MFAMode -> multifactor.mode. */
export const mfaModes = { OFF: 'OFF', ON: 'REQUIRED', OPTIONAL: 'OPTIONAL' } as const;

/** Forgot-password delivery -> accountRecovery. */
export const accountRecovery = { EMAIL: 'EMAIL_ONLY', SMS: 'PHONE_ONLY_WITHOUT_MFA' } as const;

/** The secret names Gen 2's documentation uses for each provider, client id first. */
export const providerSecrets = {
  google: { clientId: 'GOOGLE_CLIENT_ID', clientSecret: 'GOOGLE_CLIENT_SECRET' },
  facebook: { clientId: 'FACEBOOK_CLIENT_ID', clientSecret: 'FACEBOOK_CLIENT_SECRET' },
  loginWithAmazon: { clientId: 'LOGINWITHAMAZON_CLIENT_ID', clientSecret: 'LOGINWITHAMAZON_CLIENT_SECRET' },
  signInWithApple: { clientId: 'SIWA_CLIENT_ID', keyId: 'SIWA_KEY_ID', teamId: 'SIWA_TEAM_ID', privateKey: 'SIWA_PRIVATE_KEY' },
} as const;

const CODE_PLACEHOLDER = '{####}';

const secretRef = (name: string) => code(`secret(${literal(name)})`);

/** A Gen 1 auth resource as a Gen 2 auth resource. */
export function authPart(source: AuthSource): ResourcePart {
  const resource = `auth/${source.resourceName}`;
  if (source.imported) return referencedAuth(resource, source.imported);
  const notes: Gen2Note[] = [];
  const overrides: string[] = [];
  const props = defineAuthProps(resource, source.config, notes, overrides);
  const social = source.config?.userPoolConfigs?.oAuth?.socialProviderSettings ?? {};
  const imports = Object.values(social).some(Boolean) ? 'defineAuth, secret' : 'defineAuth';
  const contents = `import { ${imports} } from '@aws-amplify/backend';\n\nexport const auth = defineAuth(${print(props)});\n`;
  return { file: { path: AUTH_FILE, contents }, notes, overrides };
}

function defineAuthProps(resource: string, config: AuthConfig | null, notes: Gen2Note[], overrides: string[]): Value {
  const userPool = config?.userPoolConfigs;
  if (!userPool) {
    notes.push(note(resource, 'ERROR', 'GetBackendAuth returned no user pool configuration: the generated defineAuth signs in with email only; fill in the rest by hand.'));
    return { loginWith: { email: true } };
  }
  notes.push(
    note(
      resource,
      'WARNING',
      `defineAuth creates a new user pool: the users of the Gen 1 pool ${literal(userPool.userPoolName ?? nameOf(resource))} stay there. ` +
        'To keep them, reference the existing pool with referenceAuth, or migrate them (a Cognito user migration trigger).',
    ),
  );
  identityPool(resource, config, notes, overrides);
  passwordPolicy(resource, userPool.passwordPolicy, notes, overrides);
  return {
    loginWith: loginWith(resource, userPool, notes, overrides),
    userAttributes: userAttributes(userPool),
    multifactor: multifactor(resource, userPool.mfa, notes),
    accountRecovery: recovery(resource, userPool.forgotPassword, notes),
  };
}

const nameOf = (resource: string) => resource.slice(resource.indexOf('/') + 1);

function loginWith(resource: string, userPool: UserPoolConfig, notes: Gen2Note[], overrides: string[]): Value {
  const method = userPool.signInMethod ?? 'EMAIL';
  if (method === 'USERNAME') {
    notes.push(
      note(
        resource,
        'WARNING',
        "Gen 1 signs in with a username; defineAuth's loginWith has no username sign-in, so the generated files sign in with email. " +
          'Keeping usernames needs a CDK override of the user pool (cfnUserPool.usernameAttributes) and a user migration.',
      ),
    );
  }
  const email = method === 'EMAIL' || method === 'EMAIL_AND_PHONE_NUMBER' || method === 'USERNAME';
  const phone = method === 'PHONE_NUMBER' || method === 'EMAIL_AND_PHONE_NUMBER';
  const verification = verificationSettings(resource, userPool.verificationMessage, { email, phone }, notes);
  return {
    email: email ? (verification.email ?? true) : undefined,
    phone: phone ? (verification.phone ?? true) : undefined,
    externalProviders: userPool.oAuth && externalProviders(resource, userPool.oAuth, notes, overrides),
  };
}

/** The Gen 1 verification message, on the login method that sends it. */
function verificationSettings(
  resource: string,
  message: MessageConfig | undefined,
  login: { email: boolean; phone: boolean },
  notes: Gen2Note[],
): { email?: Value; phone?: Value } {
  if (!message) return {};
  const checkPlaceholder = (text: string) => {
    if (!text.includes(CODE_PLACEHOLDER)) {
      notes.push(note(resource, 'WARNING', `The Gen 1 verification message has no ${CODE_PLACEHOLDER} code placeholder; Cognito refuses such a message. Add createCode() to it.`));
    }
  };
  const { emailSettings, smsSettings } = message;
  if (message.deliveryMethod === 'EMAIL' && emailSettings && login.email) {
    if (emailSettings.emailMessage !== undefined) checkPlaceholder(emailSettings.emailMessage);
    return {
      email: {
        verificationEmailStyle: 'CODE',
        verificationEmailSubject: emailSettings.emailSubject,
        verificationEmailBody:
          emailSettings.emailMessage === undefined ? undefined : messageCallback('createCode', emailSettings.emailMessage, CODE_PLACEHOLDER),
      },
    };
  }
  if (message.deliveryMethod === 'SMS' && smsSettings?.smsMessage !== undefined && login.phone) {
    checkPlaceholder(smsSettings.smsMessage);
    return { phone: { verificationMessage: messageCallback('createCode', smsSettings.smsMessage, CODE_PLACEHOLDER) } };
  }
  if (emailSettings || smsSettings) {
    notes.push(
      note(
        resource,
        'WARNING',
        `Gen 1 sends the verification code by ${message.deliveryMethod ?? 'an unnamed method'}, which is not a sign-in method of this pool; ` +
          "defineAuth sets the message only on loginWith.email or loginWith.phone, so Gen 2's default message is used.",
      ),
    );
  }
  return {};
}

const userAttributes = (userPool: UserPoolConfig): Value => {
  if (userPool.requiredSignUpAttributes.length === 0) return undefined;
  const entries = userPool.requiredSignUpAttributes.map((attribute) => [userAttributeKeys[attribute], { required: true }] as const);
  return Object.fromEntries(entries.filter(([key]) => key !== undefined));
};

function multifactor(resource: string, mfa: MfaConfig | undefined, notes: Gen2Note[]): Value {
  const mode = mfa?.mfaMode ? mfaModes[mfa.mfaMode] : undefined;
  if (!mode || mode === 'OFF') return undefined;
  const types = new Set(mfa?.settings?.mfaTypes ?? []);
  if (types.size === 0) {
    notes.push(note(resource, 'WARNING', `Gen 1 MFA is ${mfa?.mfaMode} with no MFA type; Gen 2 needs one, so the generated files use SMS.`));
    types.add('SMS');
  }
  const smsMessage = mfa?.settings?.smsMessage;
  const sms = !types.has('SMS') ? undefined : smsMessage === undefined ? true : { smsMessage: messageCallback('createCode', smsMessage, CODE_PLACEHOLDER) };
  return { mode, sms, totp: types.has('TOTP') ? true : undefined };
}

function recovery(resource: string, forgot: MessageConfig | undefined, notes: Gen2Note[]): Value {
  if (!forgot) return undefined;
  if (forgot.emailSettings || forgot.smsSettings) {
    notes.push(
      note(
        resource,
        'WARNING',
        'defineAuth has no setting for the password-reset message: Gen 2 sends its default. ' +
          'To keep the Gen 1 subject and text, add a custom message trigger (triggers.customMessage with defineFunction).',
      ),
    );
  }
  return forgot.deliveryMethod ? accountRecovery[forgot.deliveryMethod] : undefined;
}

function identityPool(resource: string, config: AuthConfig | null, notes: Gen2Note[], overrides: string[]) {
  if (config?.authResources === 'USER_POOL_ONLY') {
    notes.push(note(resource, 'INFO', 'Gen 1 has a user pool only; Gen 2 always adds an identity pool (for guest and IAM access). Nothing to do unless you must not have one.'));
  }
  if (config?.identityPoolConfigs?.unauthenticatedLogin === false || config?.authResources === 'USER_POOL_ONLY') {
    overrides.push('backend.auth.resources.cfnResources.cfnIdentityPool.allowUnauthenticatedIdentities = false;');
    notes.push(note(resource, 'INFO', 'Gen 1 allows no guest (unauthenticated) access; Gen 2 allows it by default, so backend.ts switches it off on the identity pool.'));
  }
}

const passwordConstraints = {
  REQUIRE_DIGIT: 'RequireNumbers',
  REQUIRE_LOWERCASE: 'RequireLowercase',
  REQUIRE_SYMBOL: 'RequireSymbols',
  REQUIRE_UPPERCASE: 'RequireUppercase',
} as const;

function passwordPolicy(resource: string, policy: PasswordPolicy | undefined, notes: Gen2Note[], overrides: string[]) {
  if (!policy) return;
  const cfn: Record<string, Value> = { MinimumLength: policy.minimumLength ?? 8 };
  for (const [constraint, property] of Object.entries(passwordConstraints)) {
    cfn[property] = policy.additionalConstraints.includes(constraint as keyof typeof passwordConstraints);
  }
  overrides.push(`backend.auth.resources.cfnResources.cfnUserPool.addPropertyOverride('Policies.PasswordPolicy', ${print(cfn)});`);
  notes.push(note(resource, 'INFO', 'defineAuth has no password policy option; backend.ts sets the Gen 1 policy through a CDK override on the user pool (Policies.PasswordPolicy).'));
}

function externalProviders(resource: string, oAuth: OAuthConfig, notes: Gen2Note[], overrides: string[]): Value {
  if (oAuth.oAuthGrantType === 'IMPLICIT') {
    overrides.push("backend.auth.resources.cfnResources.cfnUserPoolClient.allowedOAuthFlows = ['implicit'];");
    notes.push(note(resource, 'WARNING', 'Gen 1 uses the implicit OAuth grant; Gen 2 uses the code grant, so backend.ts sets the implicit flow on the user pool client through a CDK override. Prefer the code grant where clients allow.'));
  }
  if (oAuth.domainPrefix !== undefined) {
    notes.push(
      note(
        resource,
        'WARNING',
        `defineAuth names the hosted UI domain itself; the Gen 1 domain prefix ${literal(oAuth.domainPrefix)} is not carried over. ` +
          'Update the redirect URI registered with each social provider to the new domain (https://<prefix>.auth.<region>.amazoncognito.com/oauth2/idpresponse), ' +
          'or add the old prefix with backend.auth.resources.userPool.addDomain(...) once the Gen 1 pool no longer holds it.',
      ),
    );
  }
  return {
    ...socialProviders(resource, oAuth.socialProviderSettings, notes),
    scopes: oAuth.oAuthScopes.length > 0 ? oAuth.oAuthScopes.map((scope) => oAuthScopes[scope]) : undefined,
    callbackUrls: oAuth.redirectSignInURIs,
    logoutUrls: oAuth.redirectSignOutURIs,
  };
}

function socialProviders(resource: string, social: SocialProviders | undefined, notes: Gen2Note[]): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const name of ['google', 'facebook', 'loginWithAmazon'] as const) {
    const provider = social?.[name];
    if (!provider) continue;
    const names = providerSecrets[name];
    out[name] = { clientId: secretRef(names.clientId), clientSecret: secretRef(names.clientSecret) };
    notes.push(
      note(
        resource,
        'WARNING',
        `${name}: set the secrets ${setSecret(names.clientId)} to the Gen 1 client id ${literal(provider.clientId ?? '')}, and ${setSecret(names.clientSecret)} ` +
          `to the provider's client secret${provider.clientSecretSet ? ' (AmplifyBackend never returns it: take it from the provider console)' : ' (Gen 1 has none set)'}.`,
      ),
    );
  }
  const apple = social?.signInWithApple;
  if (apple) {
    const names = providerSecrets.signInWithApple;
    out.signInWithApple = { clientId: secretRef(names.clientId), keyId: secretRef(names.keyId), teamId: secretRef(names.teamId), privateKey: secretRef(names.privateKey) };
    const values = `${names.clientId} to ${literal(apple.clientId ?? '')}, ${names.keyId} to ${literal(apple.keyId ?? '')}, ${names.teamId} to ${literal(apple.teamId ?? '')}`;
    notes.push(
      note(
        resource,
        'WARNING',
        `signInWithApple: set the secrets with ${setSecret('NAME')}: ${values}, and ${names.privateKey} to the key file's contents` +
          `${apple.privateKeySet ? ' (AmplifyBackend never returns it: take it from the Apple developer account)' : ' (Gen 1 has none set)'}.`,
      ),
    );
  }
  return out;
}

/** An imported user pool: Gen 2 references it as it is. */
function referencedAuth(resource: string, imported: ImportedAuth): ResourcePart {
  const notes: Gen2Note[] = [note(resource, 'INFO', 'Gen 1 imports this user pool; Gen 2 references it with referenceAuth, so it keeps its users and settings.')];
  const value = (member: keyof ImportedAuth, placeholder: string) => {
    const found = imported[member];
    if (found) return found;
    notes.push(note(resource, 'ERROR', `amplify-meta does not name the ${member} of the imported user pool: replace ${literal(placeholder)} in ${AUTH_FILE}.`));
    return placeholder;
  };
  const props = {
    userPoolId: value('userPoolId', '<USER_POOL_ID>'),
    identityPoolId: value('identityPoolId', '<IDENTITY_POOL_ID>'),
    userPoolClientId: value('userPoolClientId', '<USER_POOL_CLIENT_ID>'),
    authRoleArn: value('authRoleArn', '<AUTH_ROLE_ARN>'),
    unauthRoleArn: value('unauthRoleArn', '<UNAUTH_ROLE_ARN>'),
  };
  const contents = `import { referenceAuth } from '@aws-amplify/backend';\n\nexport const auth = referenceAuth(${print(props)});\n`;
  return { file: { path: AUTH_FILE, contents }, notes, overrides: [] };
}
