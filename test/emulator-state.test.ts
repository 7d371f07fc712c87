import {
  CreateBackendAuthCommand,
  CreateBackendCommand,
  CreateBackendStorageCommand,
  GetBackendAuthCommand,
  GetBackendCommand,
  GetBackendJobCommand,
  GetBackendStorageCommand,
  ListBackendJobsCommand,
} from '@aws-sdk/client-amplifybackend';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../src/emulator/clock.js';
import type { Emulator } from '../src/emulator/server.js';
import { authConfig, sdkClient, startTestEmulator } from './helpers.js';
import { rejection } from './helpers-emulator.js';

const JOB_MS = 3000;
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

let dir: string;
const running = new Set<Emulator>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'amplifybackend-emulator-state-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const emulator of running) await emulator.stop();
  running.clear();
});

let fileCount = 0;
/** A state file path of its own for each test, in the temp dir. */
const newStateFile = () => join(dir, `state-${++fileCount}.json`);

async function start(options: Parameters<typeof startTestEmulator>[0]) {
  const emulator = await startTestEmulator(options);
  running.add(emulator);
  return emulator;
}

async function stop(emulator: Emulator) {
  await emulator.stop();
  running.delete(emulator);
}


describe('a state file', () => {
  it('brings back apps, resources and jobs after a restart', async () => {
    const stateFile = newStateFile();
    const first = await start({ stateFile });
    const client = sdkClient(first.url);
    const created = await client.send(
      new CreateBackendCommand({
        AppId: 'stateapp01',
        AppName: 'kept',
        BackendEnvironmentName: 'dev',
      }),
    );
    await first.advance(JOB_MS);
    await client.send(
      new CreateBackendAuthCommand({
        AppId: 'stateapp01',
        BackendEnvironmentName: 'dev',
        ResourceName: 'keptAuth',
        ResourceConfig: authConfig(),
      }),
    );
    await first.advance(JOB_MS);
    await stop(first);

    const second = await start({ stateFile });
    const again = sdkClient(second.url);
    const backend = await again.send(new GetBackendCommand({ AppId: 'stateapp01' }));
    expect(backend).toMatchObject({ AppName: 'kept', BackendEnvironmentList: ['dev'] });
    const auth = await again.send(
      new GetBackendAuthCommand({
        AppId: 'stateapp01',
        BackendEnvironmentName: 'dev',
        ResourceName: 'keptAuth',
      }),
    );
    expect(auth.ResourceConfig?.UserPoolConfigs?.UserPoolName).toBe('pool');
    const job = await again.send(
      new GetBackendJobCommand({
        AppId: 'stateapp01',
        BackendEnvironmentName: 'dev',
        JobId: created.JobId,
      }),
    );
    expect(job).toMatchObject({ Operation: 'CreateBackend', Status: 'COMPLETED' });
    const { Jobs } = await again.send(
      new ListBackendJobsCommand({ AppId: 'stateapp01', BackendEnvironmentName: 'dev' }),
    );
    expect(Jobs?.map((j) => j.Operation)).toEqual(['CreateBackendAuth', 'CreateBackend']);
  });

  it('keeps a pending job pending across a restart; it completes when advanced', async () => {
    const stateFile = newStateFile();
    // One clock for both runs: the restart does not move time.
    const clock = createManualClock();
    const first = await start({ stateFile, clock });
    const client = sdkClient(first.url);
    await client.send(new CreateBackendCommand({ AppId: 'stateapp02', AppName: 'pending', BackendEnvironmentName: 'dev' }));
    await first.advance(JOB_MS);
    const pending = await client.send(
      new CreateBackendStorageCommand({
        AppId: 'stateapp02',
        BackendEnvironmentName: 'dev',
        ResourceName: 'files',
        ResourceConfig: { Permissions: { Authenticated: ['READ'] }, ServiceName: 'S3' },
      }),
    );
    await stop(first);

    const second = await start({ stateFile, clock });
    const again = sdkClient(second.url);
    const getJob = () =>
      again.send(
        new GetBackendJobCommand({
          AppId: 'stateapp02',
          BackendEnvironmentName: 'dev',
          JobId: pending.JobId,
        }),
      );
    expect((await getJob()).Status).toBe('IN_PROGRESS');

    await second.advance(JOB_MS);
    expect((await getJob()).Status).toBe('COMPLETED');
    const storage = await again.send(
      new GetBackendStorageCommand({
        AppId: 'stateapp02',
        BackendEnvironmentName: 'dev',
        ResourceName: 'files',
      }),
    );
    expect(storage.ResourceConfig?.Permissions?.Authenticated).toEqual(['READ']);
  });

  it('is saved on every change, before the emulator stops', async () => {
    const stateFile = newStateFile();
    const emulator = await start({ stateFile });
    await sdkClient(emulator.url).send(
      new CreateBackendCommand({
        AppId: 'stateapp03',
        AppName: 'saved',
        BackendEnvironmentName: 'dev',
      }),
    );
    const saved = JSON.parse(await readFile(stateFile, 'utf8'));
    expect(saved.version).toBe(1);
    expect(saved.apps.stateapp03.appName).toBe('saved');
    expect(Object.values(saved.jobs)).toEqual([
      expect.objectContaining({ operation: 'CreateBackend', status: 'IN_PROGRESS' }),
    ]);
  });

  it('is written atomically: no .tmp files are left behind', async () => {
    const stateFile = join(dir, 'atomic', 'state.json'); // a directory that does not exist yet
    const emulator = await start({ stateFile });
    const client = sdkClient(emulator.url);
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.send(
          new CreateBackendCommand({
            AppId: `atomic${i}`,
            AppName: 'a',
            BackendEnvironmentName: 'dev',
          }),
        ),
      ),
    );
    await emulator.advance(JOB_MS);
    await stop(emulator);

    expect(await readdir(join(dir, 'atomic'))).toEqual(['state.json']);
    const saved = JSON.parse(await readFile(stateFile, 'utf8'));
    expect(Object.keys(saved.apps)).toHaveLength(8);
  });

  it('that is not JSON makes the start fail with a message naming the file', async () => {
    const stateFile = newStateFile();
    await writeFile(stateFile, '{"version": 1, "apps": ');
    const error = await rejection(startTestEmulator({ stateFile }));
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain(stateFile);
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('that is JSON but not an emulator state makes the start fail naming the file', async () => {
    const stateFile = newStateFile();
    await writeFile(stateFile, JSON.stringify({ hello: 'world' }));
    const error = await rejection(startTestEmulator({ stateFile }));
    expect(error.message).toContain(stateFile);
    // The broken file is left as it was, for the user to look at.
    expect(await readFile(stateFile, 'utf8')).toBe('{"hello":"world"}');
  });
});

describe('the standalone CLI', () => {
  const children = new Set<ChildProcess>();

  afterEach(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    children.clear();
  });

  function runCli(args: string[]) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/main.ts', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = once(child, 'exit').then(([code]) => code as number | null);
    return { child, exited, stderr: () => stderr };
  }

  /** Starts the CLI and resolves with the URL it prints once listening. */
  async function startCli(file: string) {
    const cli = runCli(['--port', '0', '--state', file, '--seed', 'empty']);
    const lines = createInterface({ input: cli.child.stdout! });
    const url = await new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => {
        const match = /AmplifyBackend emulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (match) resolve(match[1]);
      });
      cli.exited.then((code) => reject(new Error(`CLI exited with ${code}: ${cli.stderr()}`)));
    });
    return { ...cli, url };
  }

  it('keeps a change across a SIGTERM and a restart on the same state file', async () => {
    const stateFile = newStateFile();
    const first = await startCli(stateFile);
    const client = sdkClient(first.url);
    await client.send(new CreateBackendCommand({ AppId: 'cliapp0001', AppName: 'from-cli', BackendEnvironmentName: 'dev' }));
    // The CLI runs on the wall clock; move it past the job instead of waiting.
    const moved = await fetch(`${first.url}/_emulator/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceMs: JOB_MS }),
    });
    expect(moved.status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await startCli(stateFile);
    const backend = await sdkClient(second.url).send(
      new GetBackendCommand({ AppId: 'cliapp0001' }),
    );
    expect(backend).toMatchObject({ AppName: 'from-cli', BackendEnvironmentList: ['dev'] });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('rejects --port abc with exit code 2 and a message naming --port', async () => {
    const cli = runCli(['--port', 'abc']);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain('--port');
    expect(cli.stderr()).toContain('abc');
  });
});
