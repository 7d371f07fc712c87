import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';

// The crash guard in a process of its own, as `npm start` installs it: what it logs, and whether
// the process goes on, for each kind of failure nobody handled.

async function startChild() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/crash-guard-child.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: any[] = [];
  const waiting: { test: (line: any) => boolean; resolve: (line: any) => void }[] = [];
  let url = '';
  const ready = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (text) => {
      if (text.startsWith('URL ')) {
        url = text.slice(4);
        return resolve();
      }
      const line = JSON.parse(text);
      lines.push(line);
      for (const w of waiting.splice(0)) (w.test(line) ? w.resolve(line) : waiting.push(w));
    });
  });
  await ready;
  return {
    url,
    child,
    logged: (test: (line: any) => boolean) =>
      new Promise<any>((resolve) => {
        const found = lines.find(test);
        if (found) resolve(found);
        else waiting.push({ test, resolve });
      }),
    [Symbol.asyncDispose]: async () => {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    },
  };
}

it('logs an unhandled rejection with the request id, and keeps serving', async () => {
  await using child = await startChild();
  const res = await fetch(`${child.url}/reject`, { headers: { 'x-request-id': 'req-reject-1' } });
  expect(await res.text()).toBe('answered');
  const line = await child.logged((l) => l.msg?.startsWith('unhandled promise rejection'));
  expect(line).toMatchObject({ level: 50, requestId: 'req-reject-1', err: { message: 'rejected in a request' } });
  // Still up, and other requests are served.
  expect((await fetch(`${child.url}/health`)).status).toBe(200);
  expect(child.child.exitCode).toBeNull();
});

it('logs an uncaught exception as fatal with the request id, stops gracefully and exits 1', async () => {
  await using child = await startChild();
  const exited = once(child.child, 'exit');
  await fetch(`${child.url}/throw`, { headers: { 'x-request-id': 'req-throw-1' } });
  const line = await child.logged((l) => l.msg?.startsWith('uncaught exception'));
  expect(line).toMatchObject({ level: 60, requestId: 'req-throw-1', err: { message: 'thrown in a request' } });
  const [code] = await exited;
  expect(code).toBe(1);
});
