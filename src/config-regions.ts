import { readFileSync } from 'node:fs';
import { z } from 'zod';

// Settings for several regions and several accounts (AMPLIFY_REGIONS, AMPLIFY_REGION_ENDPOINTS,
// AMPLIFY_ACCOUNTS / AMPLIFY_ACCOUNTS_FILE, AWS_ENDPOINT_URL_STS), as zod schemas config.ts
// adds to its own, and the cross-checks between them.

/** An account the gateway reaches by assuming a role in it. */
export interface AccountConfig {
  /** What `App.account` says; `default` is the gateway's own identity. */
  name: string;
  roleArn: string;
  regions: string[];
  /** Per region, an endpoint serving both AmplifyBackend and the Amplify console API (tests, the emulator). */
  endpoints?: Record<string, string>;
  /** Passed to AssumeRole when the role's trust policy asks for one. */
  externalId?: string;
}

/** The gateway's own account: its identity (the default credential chain). */
export const DEFAULT_ACCOUNT = 'default';

export const MAX_REGIONS = 32;
export const MAX_ACCOUNTS = 100;
/** (account, region) pairs in all: each holds two SDK clients with their sockets, a queue and a breaker. */
export const MAX_SOURCES = 64;

const regionShape = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const region = z.string().regex(regionShape, 'a region looks like us-east-1');
const url = z.url({ error: 'an endpoint must be an http:// or https:// URL' }).refine((v) => /^https?:\/\//.test(v), 'an endpoint must be an http:// or https:// URL');

const account = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'an account name is 1 to 63 lowercase letters, digits and -')
    .refine((n) => n !== DEFAULT_ACCOUNT, `"${DEFAULT_ACCOUNT}" names the gateway's own identity`),
  roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'roleArn must be an IAM role ARN (arn:aws:iam::123456789012:role/NAME)'),
  regions: z.array(region).min(1, 'regions must name at least one region').max(MAX_REGIONS),
  endpoints: z.record(region, url).optional(),
  externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, 'externalId must be 2 to 1224 of letters, digits and +=,.@:/-').optional(),
});

const accounts = z
  .array(account)
  .max(MAX_ACCOUNTS, `at most ${MAX_ACCOUNTS} accounts`)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((a, i) => {
      if (seen.has(a.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `account ${a.name} is named twice` });
      seen.add(a.name);
      if (new Set(a.regions).size !== a.regions.length) ctx.addIssue({ code: 'custom', path: [i, 'regions'], message: 'a region is named twice' });
      for (const r of Object.keys(a.endpoints ?? {})) {
        if (!a.regions.includes(r)) ctx.addIssue({ code: 'custom', path: [i, 'endpoints', r], message: `${r} is not one of the account's regions` });
      }
    });
  });

/** The issue of a nested problem as one message naming the setting and where in it. */
function accountsFrom(name: string, text: string, ctx: z.RefinementCtx): AccountConfig[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `${name} must be a JSON list of { name, roleArn, regions }: ${(error as Error).message}` });
    return z.NEVER;
  }
  const parsed = accounts.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  ctx.addIssue({ code: 'custom', message: `${name}${at}: ${issue.message}` });
  return z.NEVER;
}

export const regionSettings = {
  AMPLIFY_REGIONS: z
    .string()
    .transform((text, ctx) => {
      const list = text.split(',').map((r) => r.trim()).filter(Boolean);
      const bad = list.find((r) => !regionShape.test(r));
      if (bad !== undefined || list.length === 0 || list.length > MAX_REGIONS || new Set(list).size !== list.length) {
        ctx.addIssue({ code: 'custom', message: `AMPLIFY_REGIONS must be 1 to ${MAX_REGIONS} different regions, comma-separated (us-east-1,eu-west-1)${bad !== undefined ? `; ${JSON.stringify(bad.slice(0, 40))} is not one` : ''}` });
        return z.NEVER;
      }
      return list;
    })
    .optional(),
  AMPLIFY_REGION_ENDPOINTS: z
    .string()
    .transform((text, ctx) => {
      const out: Record<string, string> = {};
      for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
        const at = entry.indexOf('=');
        const [r, u] = at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
        if (!regionShape.test(r) || !url.safeParse(u).success || Object.hasOwn(out, r)) {
          ctx.addIssue({ code: 'custom', message: `AMPLIFY_REGION_ENDPOINTS must be region=URL pairs, comma-separated, each region once (us-east-1=http://127.0.0.1:4010)` });
          return z.NEVER;
        }
        out[r] = u;
      }
      return out;
    })
    .optional(),
  AMPLIFY_ACCOUNTS: z.string().transform((text, ctx) => accountsFrom('AMPLIFY_ACCOUNTS', text, ctx)).optional(),
  AMPLIFY_ACCOUNTS_FILE: z
    .string()
    .transform((path, ctx) => {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `AMPLIFY_ACCOUNTS_FILE cannot be read: ${(error as Error).message}` });
        return z.NEVER;
      }
      return accountsFrom('AMPLIFY_ACCOUNTS_FILE', text, ctx);
    })
    .optional(),
  AWS_ENDPOINT_URL_STS: url.optional(),
};

type RegionSettings = { [K in keyof typeof regionSettings]?: z.output<(typeof regionSettings)[K]> } & {
  AWS_REGION?: string;
};

/** The problems between the settings, each as [setting, message]. */
export function regionSettingProblems(e: RegionSettings, aws: boolean): [string, string][] {
  const problems: [string, string][] = [];
  const given = (['AMPLIFY_REGIONS', 'AMPLIFY_REGION_ENDPOINTS', 'AMPLIFY_ACCOUNTS', 'AMPLIFY_ACCOUNTS_FILE'] as const).filter((k) => e[k] !== undefined);
  if (!aws && given.length > 0) {
    problems.push([given[0], `${given[0]} is for AWS: set AWS_REGION (or UPSTREAM=aws) too; the embedded emulator is one region of one account`]);
  }
  if (e.AMPLIFY_ACCOUNTS && e.AMPLIFY_ACCOUNTS_FILE) {
    problems.push(['AMPLIFY_ACCOUNTS_FILE', 'AMPLIFY_ACCOUNTS and AMPLIFY_ACCOUNTS_FILE exclude each other: set one']);
  }
  if (e.AMPLIFY_REGIONS && e.AWS_REGION && !e.AMPLIFY_REGIONS.includes(e.AWS_REGION)) {
    problems.push(['AMPLIFY_REGIONS', `AMPLIFY_REGIONS must include AWS_REGION (${e.AWS_REGION}), the default region`]);
  }
  const regions = e.AMPLIFY_REGIONS ?? (e.AWS_REGION ? [e.AWS_REGION] : []);
  const stray = Object.keys(e.AMPLIFY_REGION_ENDPOINTS ?? {}).find((r) => !regions.includes(r));
  if (stray) problems.push(['AMPLIFY_REGION_ENDPOINTS', `AMPLIFY_REGION_ENDPOINTS names ${stray}, which is not one of AMPLIFY_REGIONS (or AWS_REGION)`]);
  const accountList = e.AMPLIFY_ACCOUNTS ?? e.AMPLIFY_ACCOUNTS_FILE ?? [];
  const sources = Math.max(regions.length, 1) + accountList.reduce((n, a) => n + a.regions.length, 0);
  if (sources > MAX_SOURCES) {
    const name = e.AMPLIFY_ACCOUNTS ? 'AMPLIFY_ACCOUNTS' : 'AMPLIFY_ACCOUNTS_FILE';
    problems.push([name, `${name}: at most ${MAX_SOURCES} regions in all accounts together, got ${sources}`]);
  }
  return problems;
}

/** What the aws upstream config gets of them. */
export function regionConfig(e: RegionSettings) {
  const regions = e.AMPLIFY_REGIONS ?? (e.AWS_REGION ? [e.AWS_REGION] : undefined);
  // The default region first: AWS_REGION when set.
  const ordered = regions && e.AWS_REGION ? [e.AWS_REGION, ...regions.filter((r) => r !== e.AWS_REGION)] : regions;
  const accountList = e.AMPLIFY_ACCOUNTS ?? e.AMPLIFY_ACCOUNTS_FILE;
  return {
    ...(e.AMPLIFY_REGIONS && ordered ? { regions: ordered } : {}),
    ...(e.AMPLIFY_REGION_ENDPOINTS ? { regionEndpoints: e.AMPLIFY_REGION_ENDPOINTS } : {}),
    ...(accountList?.length ? { accounts: accountList } : {}),
    ...(e.AWS_ENDPOINT_URL_STS ? { stsEndpoint: e.AWS_ENDPOINT_URL_STS } : {}),
  };
}
