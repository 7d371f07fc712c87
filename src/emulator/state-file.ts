import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EmulatorState } from './store.js';

/** Reads a saved state; a missing file means a first start, a broken one stops the start. */
export async function loadStateFile(file: string): Promise<EmulatorState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read emulator state file ${file}: ${(error as Error).message}`);
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (error) {
    throw new Error(`emulator state file ${file} is not valid JSON (${(error as Error).message}); move it away to start fresh`);
  }
  const s = state as Partial<EmulatorState> | null;
  if (!s || s.version !== 1 || !isRecord(s.apps) || !isRecord(s.jobs) || !isRecord(s.tokens) || !isRecord(s.buckets)) {
    throw new Error(`emulator state file ${file} is not an emulator state (version 1 with apps, jobs, tokens, buckets)`);
  }
  return s as EmulatorState;
}

const isRecord = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Saves a state file atomically (write, then rename); saves are chained so two never interleave. */
export function createStateWriter(file: string) {
  let sequence = 0;
  let last: Promise<void> = Promise.resolve();
  return (state: EmulatorState): Promise<void> => {
    const next = last.then(async () => {
      const tmp = `${file}.${process.pid}.${++sequence}.tmp`;
      await mkdir(dirname(file), { recursive: true });
      await writeFile(tmp, JSON.stringify(state));
      await rename(tmp, file);
    });
    last = next.catch(() => undefined);
    return next;
  };
}
