import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envOf, loadYamlDocuments, parseDockerfile, type Stage } from './helpers-deploy.js';
import { readmeExample, shellCommands } from './helpers-readme.js';

// SLOW (about a minute: a TypeScript build and an `npm ci --omit=dev` from the warm npm cache).
//
// The Dockerfile replayed without Docker, which these machines cannot run: each stage is a
// directory standing for its WORKDIR; its COPY instructions are carried out (from this checkout,
// or from the build stage's directory); `npm run build` runs as written; the build stage's full
// `npm ci` is stood in for by this checkout's node_modules (the same lock file); the run stage's
// `npm ci --omit=dev` runs for real, from the npm cache. Then the run stage's CMD starts once, as
// written, with the stage's ENV: the production start (`node dist/main.js` from a tree with no dev
// dependency), the HEALTHCHECK and the Kubernetes probes all go to that one process.

const run = promisify(execFile);
const repo = resolve('.');
// npm run by npx (or npm test) passes its npm_config_* on, among them this checkout as the prefix.
const npmEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

interface Replayed {
  dirs: Record<string, string>;
  final: Stage;
  /** The directory standing for the last stage's WORKDIR. */
  finalDir: string;
  /** COPY --from sources, mapped into the directory of the stage they come from. */
  copiedFromStages: string[];
}

async function replay(stages: Stage[], root: string): Promise<Replayed> {
  const dirs: Record<string, string> = {};
  const workdirs: Record<string, string> = {};
  const copiedFromStages: string[] = [];
  for (const [index, stage] of stages.entries()) {
    const key = stage.name ?? `stage-${index}`;
    const dir = join(root, key);
    mkdirSync(dir, { recursive: true });
    dirs[key] = dir;
    for (const instruction of stage.instructions) {
      switch (instruction.name) {
        case 'WORKDIR':
          workdirs[key] = instruction.args[0]!;
          break;
        case 'COPY': {
          const sources = instruction.args.slice(0, -1);
          const dest = join(dir, instruction.args.at(-1)!);
          for (const source of sources) {
            let from = join(repo, source);
            if (instruction.flags.from) {
              const stageDir = dirs[instruction.flags.from]!;
              const inStage = relative(workdirs[instruction.flags.from]!, source);
              expect(isAbsolute(inStage) || inStage.startsWith('..'), `${source} outside the build stage's WORKDIR`).toBe(false);
              from = join(stageDir, inStage);
              copiedFromStages.push(from);
            }
            // `COPY a b ./`: into the directory; `COPY src ./src`: as it.
            const target = sources.length > 1 || dest.endsWith('/') ? join(dest, source.split('/').at(-1)!) : dest;
            cpSync(from, target, { recursive: true });
          }
          break;
        }
        case 'RUN': {
          // `&& npm cache clean --force` is left out: here it would empty the machine's shared cache.
          const [command = ''] = instruction.text.split('&&').map((c) => c.trim());
          if (command === 'npm run build') {
            await run('npm', ['run', 'build'], { cwd: dir, env: npmEnv });
          } else if (/^npm ci\b/.test(command) && command.includes('--omit=dev')) {
            await run('npm', [...command.split(/\s+/).slice(1), '--prefer-offline'], { cwd: dir, env: npmEnv });
          } else if (/^npm ci\b/.test(command)) {
            symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
          } else {
            throw new Error(`RUN ${instruction.text}: not replayed here; teach production.slow.test.ts`);
          }
          break;
        }
      }
    }
  }
  return { dirs, final: stages.at(-1)!, finalDir: Object.values(dirs).at(-1)!, copiedFromStages };
}

describe('slow: the Dockerfile replayed, and its CMD (node dist/main.js) run from an --omit=dev tree', () => {
  let root: string;
  let replayed: Replayed;
  let app: string;
  let gateway: ChildProcess;
  let base: string;
  let stderr = '';

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'amplifybackend-graphql-production-'));
    replayed = await replay(parseDockerfile(), root);
    app = replayed.finalDir;
    const cmd = replayed.final.instructions.find((i) => i.name === 'CMD')!.args;
    gateway = spawn(cmd[0]!, cmd.slice(1), {
      cwd: app,
      // The stage's ENV as the image has it, but for where to listen: any free port, and loopback
      // rather than HOST=0.0.0.0 (every interface of this machine) for a test.
      env: { PATH: process.env.PATH, HOME: root, ...envOf(replayed.final), HOST: '127.0.0.1', PORT: '0', EMULATOR_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    gateway.stderr!.on('data', (chunk) => (stderr += String(chunk)));
    const url = await new Promise<string>((resolve, reject) => {
      gateway.once('exit', (code) => reject(new Error(`exited with ${code} before listening:\n${stderr}`)));
      createInterface({ input: gateway.stdout! }).on('line', (line) => {
        const m = /^amplifybackend-graphql gateway: (\S+)/.exec(line);
        if (m) resolve(m[1]!);
      });
    });
    base = url.replace(/\/graphql$/, '');
  }, 300_000);

  afterAll(() => {
    if (gateway?.exitCode === null) gateway.kill('SIGKILL');
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("runs the README's production commands: the Dockerfile's steps are those, with flags for an image", () => {
    const [block] = readmeExample('production-build');
    expect(shellCommands(block!.body)).toEqual(['npm ci && npm run build', 'npm ci --omit=dev', 'node dist/main.js']);
    const steps = parseDockerfile().flatMap((stage) => stage.instructions.filter((i) => i.name === 'RUN' || i.name === 'CMD'));
    expect(steps.map((i) => (i.name === 'CMD' ? i.args.join(' ') : i.text))).toEqual([
      'npm ci --ignore-scripts --no-audit --no-fund',
      'npm run build',
      'npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force',
      'node dist/main.js',
    ]);
  });

  it('built everything the run stage copies from the build stage', () => {
    expect(replayed.copiedFromStages.map((p) => relative(root, p))).toEqual(['build/dist']);
    for (const path of replayed.copiedFromStages) expect(existsSync(path), path).toBe(true);
    expect(existsSync(join(app, 'dist', 'main.js'))).toBe(true);
  });

  it('installed dependencies only: no compiler, no test runner', () => {
    for (const dev of ['typescript', 'tsx', 'vitest', 'madge']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'graphql-yoga'))).toBe(true);
  });

  it('answers /ready 200 and a query, from the embedded emulator', async () => {
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { upstream: 'ok' } });
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ app(appId: "d1todoapp00001") { appName } }' }),
    });
    // By default every response says what it cost upstream.
    expect(await res.json()).toEqual({
      data: { app: { appName: 'todo-app' } },
      extensions: { cost: { estimated: 1, actual: 1, budget: { remaining: expect.any(Number), max: 600, restorePerSecond: 20 } } },
    });
  });

  it('passes its HEALTHCHECK, run as written (and the check fails with nothing listening)', async () => {
    const healthcheck = replayed.final.instructions.find((i) => i.name === 'HEALTHCHECK')!.args.slice(1);
    const check = (port: string) =>
      run(healthcheck[0]!, healthcheck.slice(1), { cwd: app, env: { PATH: process.env.PATH, PORT: port } }).then(
        () => 0,
        (error: { code?: number }) => error.code,
      );
    expect(await check(new URL(base).port)).toBe(0);
    expect(await check('1')).toBe(1);
  });

  it('answers the Kubernetes probes', async () => {
    const deployment = loadYamlDocuments('deploy/kubernetes.yaml').find((d) => d.kind === 'Deployment')!;
    const [container] = deployment.spec.template.spec.containers;
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      const res = await fetch(`${base}${probe.httpGet.path}`);
      expect(res.status, probe.httpGet.path).toBe(200);
    }
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const exited = once(gateway, 'exit');
    gateway.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/Cannot find (module|package)/);
  });
});
