import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The project's root: where README.md is, and where its commands run. */
export const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * A fenced block of README.md with the marker comment on the line above it:
 * `<!-- example: NAME (run by test/FILE.test.ts) -->` for a block a test runs,
 * `<!-- not run: REASON -->` for one no test can run.
 */
export interface ReadmeBlock {
  lang: string;
  body: string;
  /** Line of the opening fence, from 1. */
  line: number;
  example?: { name: string; runBy: string };
  notRun?: string;
}

export const readmeText = () => readFileSync(new URL('../README.md', import.meta.url), 'utf8');

export function readmeBlocks(text = readmeText()): ReadmeBlock[] {
  const lines = text.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const close = lines.findIndex((line, j) => j > i && /^```\s*$/.test(line));
    if (close < 0) throw new Error(`README.md:${i + 1}: a fence that is never closed`);
    const marker = lines[i - 1] ?? '';
    const example = /^<!-- example: ([\w-]+) \(run by (test\/[\w./-]+)\) -->$/.exec(marker);
    const notRun = /^<!-- not run: (.+) -->$/.exec(marker);
    blocks.push({
      lang: open[1],
      body: lines.slice(i + 1, close).join('\n') + '\n',
      line: i + 1,
      ...(example ? { example: { name: example[1], runBy: example[2] } } : {}),
      ...(notRun ? { notRun: notRun[1] } : {}),
    });
    i = close;
  }
  return blocks;
}

/** The blocks marked `<!-- example: name ... -->`, in order. */
export function readmeExample(name: string): ReadmeBlock[] {
  const blocks = readmeBlocks().filter((b) => b.example?.name === name);
  if (blocks.length === 0) throw new Error(`README.md has no example ${name}`);
  return blocks;
}

/** The commands of a shell block: comments and continuation lines folded away. */
export const shellCommands = (body: string) =>
  body
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line && !line.startsWith('#'));

/** The environment of a newcomer's shell: no AWS settings of this machine's user, no AWS config files. */
export function cleanShellEnv(extra: Record<string, string> = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  return { ...env, AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', ...extra } as NodeJS.ProcessEnv;
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command line in `sh` from the project's root to its end. */
export function runShell(command: string, env = cleanShellEnv()): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A long-running process started from the project's root, its output collected; `waitFor` resolves
 * with the first match of what it prints, and fails with what it printed if it exits first.
 */
export function startProcess(command: string, args: string[], env = cleanShellEnv()) {
  // A group of its own: npx and tsx start node processes of their own, stopped with it.
  const child: ChildProcess = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  let exited: number | null | undefined;
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((listener) => listener());
  child.stdout!.on('data', (chunk) => ((output += chunk), changed()));
  child.stderr!.on('data', (chunk) => ((output += chunk), changed()));
  child.on('exit', (code) => ((exited = code), changed()));
  return {
    output: () => output,
    waitFor(pattern: RegExp): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) resolve(match);
          else if (exited !== undefined) reject(new Error(`${command} exited (${exited}) without printing ${pattern}:\n${output}`));
          else return;
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (exited !== undefined) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM');
      await gone;
    },
  };
}
