import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadExamplePages } from '../../src/example-pages.js';

/**
 * The job-progress page on an origin of its own (another port than the gateway's), as a frontend's
 * dev server would serve it: the gateway then sees a cross-origin page, which CORS_ORIGINS must
 * list when it asks for a credential. `npm run example:job-progress` serves it on PORT (5173).
 */
export async function startJobProgressPage(options: { port?: number; host?: string } = {}) {
  const pages = await loadExamplePages();
  const server = createServer((req, res) => {
    const answer = req.method === 'GET' ? pages.answer(req.url === '/' ? '/examples/job-progress' : (req.url ?? '/')) : undefined;
    if (!answer) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: the page is at /examples/job-progress/\n');
      return;
    }
    res.writeHead(answer.status, { ...answer.headers, 'content-type': answer.type }).end(answer.body);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    /** What the gateway's CORS_ORIGINS must list for this page. */
    origin,
    /** The page, told which gateway to call. */
    url: (gateway: string) => `${origin}/examples/job-progress/?gateway=${encodeURIComponent(gateway)}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000/graphql';
  const page = await startJobProgressPage({ port: Number(process.env.PORT ?? 5173) });
  console.log(`job-progress page: ${page.url(gateway)}`);
  console.log(`  a gateway that asks for a credential must allow this origin: CORS_ORIGINS=${page.origin}`);
}
