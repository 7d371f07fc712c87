import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gen2CommandError, parseGen2Args, runGen2Command, writeGen2Files } from '../src/gen2-command.js';
import { startStack, type Stack } from './helpers.js';
import { runShell } from './helpers-readme.js';

// `amplifybackend-graphql gen2`: where it writes, what it refuses, and where it gets the export.

const tempDir = () => mkdtempSync(join(tmpdir(), 'gen2-command-'));
const dirs: string[] = [];
const fresh = () => {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
};

const files = [{ path: 'amplify/backend.ts', contents: 'backend' }, { path: 'amplify/auth/resource.ts', contents: 'auth' }];

describe('arguments', () => {
  it.each([
    ['no --app', ['--env', 'dev', '--out', 'x'], /--app is required/],
    ['no --env', ['--app', 'a', '--out', 'x'], /--env is required/],
    ['no --out', ['--app', 'a', '--env', 'dev'], /--out is required/],
    ['an unknown flag', ['--app', 'a', '--env', 'dev', '--out', 'x', '--secret', 'y'], /Unknown option '--secret'/],
    ['a positional', ['--app', 'a', '--env', 'dev', '--out', 'x', 'extra'], /positional/],
  ])('%s is refused with the usage', (_name, argv, message) => {
    expect(() => parseGen2Args(argv)).toThrow(message);
    expect(() => parseGen2Args(argv)).toThrow(/usage: amplifybackend-graphql gen2/);
  });
});

describe('writing', () => {
  it('writes each file under the directory, creating it', () => {
    const out = join(fresh(), 'new');
    expect(writeGen2Files(out, files, false)).toEqual(['amplify/backend.ts', 'amplify/auth/resource.ts']);
    expect(readFileSync(join(out, 'amplify/auth/resource.ts'), 'utf8')).toBe('auth');
  });

  it('an empty existing directory is fine', () => {
    const out = fresh();
    writeGen2Files(out, files, false);
    expect(readdirSync(out)).toEqual(['amplify']);
  });

  it('refuses a non-empty directory without --force, and writes nothing; with --force it writes', () => {
    const out = fresh();
    writeFileSync(join(out, 'keep.txt'), 'mine');
    expect(() => writeGen2Files(out, files, false)).toThrow(/is not empty: pass --force/);
    expect(readdirSync(out)).toEqual(['keep.txt']);
    writeGen2Files(out, files, true);
    expect(readFileSync(join(out, 'amplify/backend.ts'), 'utf8')).toBe('backend');
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('refuses a file where the directory should be', () => {
    const parent = fresh();
    writeFileSync(join(parent, 'file'), '');
    expect(() => writeGen2Files(join(parent, 'file'), files, true)).toThrow(/not a directory/);
  });

  it.each(['../outside.ts', 'amplify/../../outside.ts', '/etc/outside.ts', 'amplify//x.ts', 'amplify\\..\\x.ts', './x.ts', '', 'a\0b'])(
    'refuses the path %j before writing anything',
    (path) => {
      const parent = fresh();
      const out = join(parent, 'out');
      expect(() => writeGen2Files(out, [...files, { path, contents: 'x' }], false)).toThrow(Gen2CommandError);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(parent)).toEqual([]);
    },
  );

  it('refuses to follow a symlink in --out that leads outside it', () => {
    const out = fresh();
    const elsewhere = fresh();
    symlinkSync(elsewhere, join(out, 'amplify'));
    expect(() => writeGen2Files(out, files, true)).toThrow(/leads outside/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('makes no directory outside --out through a symlink before refusing it', () => {
    const out = fresh();
    const elsewhere = fresh();
    symlinkSync(elsewhere, join(out, 'amplify'));
    // The directories on the way were made (recursively, through the link) before the link was checked.
    expect(() => writeGen2Files(out, [{ path: 'amplify/auth/resource.ts', contents: '' }], true)).toThrow(/leads outside/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('refuses to write through a symlinked file', () => {
    const out = fresh();
    const target = join(fresh(), 'target.ts');
    writeFileSync(target, 'untouched');
    mkdirSync(join(out, 'amplify'));
    symlinkSync(target, join(out, 'amplify/backend.ts'));
    expect(() => writeGen2Files(out, files, true)).toThrow(/symlink/);
    expect(readFileSync(target, 'utf8')).toBe('untouched');
  });
});

describe('the command', () => {
  it('in process, on the embedded emulator: writes the demo environment, notes on stderr', async () => {
    const out = join(fresh(), 'demo');
    const { io: streams, out: stdout, err } = io();
    const code = await runGen2Command(['--app', 'd1todoapp00001', '--env', 'dev', '--out', out], {}, streams);
    expect(code).toBe(0);
    expect(stdout).toContain('wrote amplify/backend.ts');
    expect(readFileSync(join(out, 'amplify/auth/resource.ts'), 'utf8')).toContain('defineAuth');
    expect(err.some((line) => line.startsWith('WARNING auth/todoappauth: google: set the secrets'))).toBe(true);
  });

  it('through src/main.ts, as the bin runs it: `gen2` is a command of its own, not gateway flags', { timeout: 60_000 }, async () => {
    const out = join(fresh(), 'bin');
    const finished = await runShell(`npx tsx src/main.ts gen2 --app d2gallery00002 --env staging --out ${out}`);
    expect(finished).toMatchObject({ code: 0 });
    expect(finished.stdout).toContain('wrote amplify/storage/resource.ts');
    expect(readFileSync(join(out, 'amplify/storage/resource.ts'), 'utf8')).toContain('name: "photogallerystorage"');
  });

  it('an unknown environment: exit 2, a message, nothing written', async () => {
    const out = join(fresh(), 'none');
    const { io: streams, err } = io();
    expect(await runGen2Command(['--app', 'd1todoapp00001', '--env', 'nosuch', '--out', out], {}, streams)).toBe(2);
    expect(err).toEqual(['amplifybackend-graphql gen2: no environment "nosuch" in app "d1todoapp00001"']);
    expect(existsSync(out)).toBe(false);
  });

  it('a non-empty --out is refused before the export is asked for', async () => {
    const out = fresh();
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const { io: streams, err } = io();
    // An unreachable --url: refused first, it is never asked.
    expect(await runGen2Command(['--app', 'a', '--env', 'dev', '--out', out, '--url', 'http://127.0.0.1:9/graphql'], {}, streams)).toBe(2);
    expect(err).toEqual([`amplifybackend-graphql gen2: ${out} is not empty: pass --force to write into it`]);
  });

  describe('against a running gateway (--url)', () => {
    let stack: Stack;
    let url: string;
    const key = 'key-gen2-command-read-001';
    beforeAll(async () => {
      stack = await startStack({ gateway: { access: { insecure: false, apiKeys: [{ key, scopes: ['read'] }] } } });
      url = await stack.gateway.start(0);
    });
    afterAll(() => stack.stop());

    it('with its API key from GATEWAY_API_KEY: the same files as in process', async () => {
      const out = join(fresh(), 'remote');
      const { io: streams } = io();
      expect(await runGen2Command(['--app', 'd2gallery00002', '--env', 'staging', '--out', out, '--url', url], { GATEWAY_API_KEY: key }, streams)).toBe(0);
      expect(readFileSync(join(out, 'amplify/data/resource.ts'), 'utf8')).toContain('type Album @model');
    });

    it('without the key: the refusal, exit 2', async () => {
      const { io: streams, err } = io();
      expect(await runGen2Command(['--app', 'd2gallery00002', '--env', 'staging', '--out', join(fresh(), 'x'), '--url', url], {}, streams)).toBe(2);
      expect(err[0]).toMatch(/^amplifybackend-graphql gen2: the gateway refused: .*\(UNAUTHENTICATED\)/);
    });
  });
});
