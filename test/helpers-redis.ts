import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';

/** A port nobody listens on right now (the kernel's pick). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts redis-server on `port` and resolves once it says it accepts connections. */
async function spawnRedis(port: number, args: string[] = []): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => reject(new Error(`redis-server on port ${port} exited (${code}): ${output.slice(-500)}`));
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', reject);
  });
  // Its log is not ours to print; drained so the pipe never fills.
  child.stdout!.resume();
  child.stderr!.resume();
  const password = args.includes('--requirepass') ? args[args.indexOf('--requirepass') + 1] : undefined;
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, password });
  try {
    await client.connect();
    if ((await client.ping()) !== 'PONG') throw new Error(`redis-server on port ${port} does not answer PING`);
  } finally {
    client.disconnect();
  }
  return child;
}

/**
 * A redis-server of the test's own on a free port of 127.0.0.1, which the test may kill (SIGKILL,
 * as a crash would) and start again on the same port. Never the machine's shared Redis.
 */
export async function startRedisServer(options: { args?: string[] } = {}) {
  let args = options.args ?? [];
  let port = await freePort();
  let child: ChildProcess | undefined;
  // Another process may take the probed port before redis-server binds it: try another.
  for (let attempt = 0; !child; attempt++) {
    try {
      child = await spawnRedis(port, args);
    } catch (error) {
      if (attempt >= 2) throw error;
      port = await freePort();
    }
  }
  const server = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined;
    },
    /** SIGKILL: no goodbye to the clients; resolves once the process is gone. */
    async kill() {
      const dying = child;
      if (!dying) return;
      child = undefined;
      if (dying.exitCode === null && dying.signalCode === null) {
        const exited = once(dying, 'exit');
        dying.kill('SIGKILL');
        await exited;
      }
    },
    /** SIGSTOP: connections stay open but nothing answers, as with a hung server. */
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    /** Starts it again on the same port, empty (nothing is saved); `args` replace the first start's. */
    async restart(restartArgs: string[] = args) {
      await server.kill();
      args = restartArgs;
      child = await spawnRedis(port, args);
    },
    /** A client of the test's own, for looking at keys. */
    client: () => new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 }),
    async [Symbol.asyncDispose]() {
      await server.kill();
    },
  };
  return server;
}

export type RedisServer = Awaited<ReturnType<typeof startRedisServer>>;

/**
 * Polls a condition that depends on an external process (redis-server, real-time lease renewals):
 * no event to await. Every 10 ms, for at most 10 s.
 */
export async function eventually(condition: () => Promise<boolean> | boolean, what: string) {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}
