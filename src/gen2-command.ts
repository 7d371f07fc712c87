import { closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { segmentProblem } from './aws/path-segment.js';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Gen2Export } from './gen2/model.js';

// `amplifybackend-graphql gen2 --app ID --env NAME --out DIR [--force] [--url URL]`: an environment's
// Gen 2 export written to disk. The export comes through the gateway's own GraphQL, so access,
// validation and the mapping are the gateway's: from a running gateway (--url, API key from
// GATEWAY_API_KEY), or from one started in this process with the same settings as `npm start`.

export class Gen2CommandError extends Error {}

export interface Gen2Args {
  appId: string;
  environmentName: string;
  out: string;
  force: boolean;
  url?: string;
}

export const GEN2_USAGE =
  'usage: amplifybackend-graphql gen2 --app ID --env NAME --out DIR [--force] [--url GATEWAY_GRAPHQL_URL]\n' +
  '  without --url: a gateway in this process, with the settings of `npm start` (AWS_REGION, ..., or the embedded emulator)\n' +
  '  with --url: a running gateway; its API key, if it asks for one, in GATEWAY_API_KEY';

export function parseGen2Args(argv: string[]): Gen2Args {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { app: { type: 'string' }, env: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' }, url: { type: 'string' } },
    }));
  } catch (error) {
    throw new Gen2CommandError(`${(error as Error).message}\n${GEN2_USAGE}`);
  }
  for (const name of ['app', 'env', 'out'] as const) {
    if (!values[name]) throw new Gen2CommandError(`--${name} is required\n${GEN2_USAGE}`);
  }
  return { appId: values.app!, environmentName: values.env!, out: values.out!, force: values.force ?? false, url: values.url };
}

export const GEN2_QUERY = `query Gen2Export($appId: ID!, $name: String!) {
  backendEnvironment(appId: $appId, name: $name) {
    gen2 { files { path contents } notes { resource severity message } }
  }
}`;

/** A GraphQL endpoint: global fetch against a URL, or a gateway's in-process `yoga.fetch`. */
export type GraphQLFetch = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<Response>;

export async function queryGen2(fetch: GraphQLFetch, url: string, args: Gen2Args, apiKey?: string): Promise<Gen2Export> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey) headers['x-api-key'] = apiKey;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query: GEN2_QUERY, variables: { appId: args.appId, name: args.environmentName } }) });
  const text = await res.text();
  let body: { data?: { backendEnvironment: { gen2: Gen2Export } | null } | null; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Gen2CommandError(`the gateway answered ${res.status} with no GraphQL response`);
  }
  if (body.errors?.length) {
    throw new Gen2CommandError(`the gateway refused: ${body.errors.map((e) => `${e.message}${e.extensions?.code ? ` (${e.extensions.code})` : ''}`).join('; ')}`);
  }
  const environment = body.data?.backendEnvironment;
  if (!environment) throw new Gen2CommandError(`no environment ${JSON.stringify(args.environmentName)} in app ${JSON.stringify(args.appId)}`);
  return environment.gen2;
}

/** The segments of `path` under the output directory, or an error: a path from the gateway is checked like any input. */
function segmentsOf(path: string): string[] {
  const segments = path.split('/');
  if (isAbsolute(path) || segments.some((s) => segmentProblem(s) !== undefined)) {
    throw new Gen2CommandError(`refusing to write ${JSON.stringify(path)}: not a plain relative path`);
  }
  return segments;
}

/** `dir` resolved, if the files may go there: absent, an empty directory, or any directory with `force`. */
export function checkOut(dir: string, force: boolean): string {
  const root = resolve(dir);
  let existing: string[] | null = null;
  try {
    if (!lstatSync(root).isDirectory()) throw new Gen2CommandError(`${root} exists and is not a directory`);
    existing = readdirSync(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (existing && existing.length > 0 && !force) throw new Gen2CommandError(`${root} is not empty: pass --force to write into it`);
  return root;
}

/**
 * Writes the files under `dir`: refuses a `dir` that exists and is not an empty directory unless
 * `force`, and any write that would land outside it (a `..` path, a symlink already in `dir`).
 */
export function writeGen2Files(dir: string, files: Gen2Export['files'], force: boolean): string[] {
  const root = checkOut(dir, force);
  const targets = files.map((file) => ({ segments: segmentsOf(file.path), contents: file.contents }));
  mkdirSync(root, { recursive: true });
  for (const file of targets) {
    // Directory by directory, none of them a symlink (one may be left in a non-empty --out): made
    // only once the one above is known to be a directory of its own, so nothing is made outside.
    let at = root;
    for (const segment of file.segments.slice(0, -1)) {
      at = resolve(at, segment);
      const found = statOrUndefined(at);
      if (!found) mkdirSync(at);
      else if (found.isSymbolicLink()) throw new Gen2CommandError(`refusing to write through the symlink ${at}: it leads outside ${root}'s own directories`);
      else if (!found.isDirectory()) throw new Gen2CommandError(`refusing to write under ${at}: it is not a directory`);
    }
    const path = resolve(at, file.segments.at(-1)!);
    let fd: number;
    try {
      // O_NOFOLLOW: a symlink in the file's place is refused by the open itself, not by a check before it.
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new Gen2CommandError(`refusing to write ${path}: it is a symlink`);
      throw error;
    }
    try {
      writeFileSync(fd, file.contents);
    } finally {
      closeSync(fd);
    }
  }
  return files.map((file) => file.path);
}

function statOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The export from a running gateway (`--url`), or from a gateway started here and stopped after. */
async function exportFrom(args: Gen2Args, env: Record<string, string | undefined>): Promise<Gen2Export> {
  if (args.url) return queryGen2((url, init) => fetch(url, init), args.url, args, env.GATEWAY_API_KEY);
  const { loadConfig } = await import('./config.js');
  const { createGateway } = await import('./server.js');
  // Nothing listens: the gateway answers only this process, so it needs no credential of its own,
  // and an embedded emulator takes a free port (a running `npm start` holds the default one).
  const config = loadConfig(env, ['--insecure']);
  const upstream = config.upstream.kind === 'embedded' ? { ...config.upstream, emulatorPort: 0 } : config.upstream;
  const gateway = await createGateway({ ...config, upstream, logLevel: 'silent' });
  try {
    return await queryGen2((url, init) => Promise.resolve(gateway.yoga.fetch(url, init)), 'http://gateway/graphql', args, env.GATEWAY_API_KEY);
  } finally {
    await gateway.stop();
  }
}

/** `amplifybackend-graphql gen2 ...`: the exit code; files listed on stdout, notes on stderr. */
export async function runGen2Command(argv: string[], env: Record<string, string | undefined>, io: Io): Promise<number> {
  try {
    const args = parseGen2Args(argv);
    // Refused before any upstream call; checked again when writing, as the directory may change meanwhile.
    checkOut(args.out, args.force);
    const exported = await exportFrom(args, env);
    const written = writeGen2Files(args.out, exported.files, args.force);
    for (const path of written) io.out(`wrote ${path}`);
    for (const n of exported.notes) io.err(`${n.severity} ${n.resource}: ${n.message}`);
    return 0;
  } catch (error) {
    if (error instanceof Gen2CommandError) {
      io.err(`amplifybackend-graphql gen2: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
