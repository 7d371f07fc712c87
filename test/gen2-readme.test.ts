import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGen2Command } from '../src/gen2-command.js';
import { startStack, type Stack } from './helpers.js';
import { readmeExample, root, shellCommands } from './helpers-readme.js';

// The README's Gen 2 export section: its query, the files and notes it shows, and its command.

const demoPaths = ['amplify/backend.ts', 'amplify/auth/resource.ts', 'amplify/data/resource.ts', 'amplify/storage/resource.ts'];
const shownFiles = () => readmeExample('gen2-demo-files').map((block) => block.body);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

describe('README: Moving to Amplify Gen 2', () => {
  it('the query answers the files and the notes shown', async () => {
    const [query] = readmeExample('gen2-query');
    const res = await stack.graphql(query.body);
    expect(res.errors).toBeUndefined();
    const { files, notes } = res.data.backendEnvironment.gen2;
    expect(demoPaths.map((path) => files.find((f: { path: string }) => f.path === path)?.contents)).toEqual(shownFiles());
    const [shownNotes] = readmeExample('gen2-demo-notes');
    expect(notes.map((n: { severity: string; resource: string; message: string }) => `${n.severity} ${n.resource}: ${n.message}\n`).join('')).toBe(shownNotes.body);
  });

  it('the command writes those files (run in process, as `node dist/main.js gen2` runs it)', async () => {
    const [command] = shellCommands(readmeExample('gen2-command')[0].body);
    const prefix = 'npm run gen2 -- ';
    expect(command.startsWith(prefix)).toBe(true);
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.gen2).toBe('npm run --silent build && node dist/main.js gen2');
    const argv = command.slice(prefix.length).split(/\s+/);
    const dir = mkdtempSync(join(tmpdir(), 'gen2-readme-'));
    try {
      const out = join(dir, 'out');
      argv[argv.indexOf('--out') + 1] = out;
      const printed: string[] = [];
      expect(await runGen2Command(argv, {}, { out: (l) => printed.push(l), err: () => {} })).toBe(0);
      expect(printed).toEqual([...demoPaths, 'amplify/package.json', 'amplify/tsconfig.json'].map((p) => `wrote ${p}`));
      expect(demoPaths.map((path) => readFileSync(join(out, path), 'utf8'))).toEqual(shownFiles());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
