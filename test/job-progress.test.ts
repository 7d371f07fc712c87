import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFile, bundleJobProgress } from '../examples/job-progress/build.js';
import { startJobProgressPage } from '../examples/job-progress/serve.js';
import { createManualScheduler, startStack, until, type Stack } from './helpers.js';
import { send } from './helpers-http.js';
import { readmeExample, root, shellCommands, startProcess, cleanShellEnv } from './helpers-readme.js';

// examples/job-progress in headless Chromium (Debian's, which .ci/run installs), served from an
// origin of its own like a frontend's dev server, calling gateways that ask for an API key: one
// whose CORS_ORIGINS lists the page's origin and one without CORS_ORIGINS. One browser for the file.

const KEY = 'job-progress-key-00000001';
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
/**
 * `UPDATE_SCREENSHOT=1 npx vitest run test/job-progress.test.ts` refreshes the README's screenshot;
 * other runs write it to a folder of their own (its job ids differ every run).
 */
const scratch = process.env.UPDATE_SCREENSHOT ? undefined : mkdtempSync(join(tmpdir(), 'job-progress-'));
const screenshotPath = scratch ? join(scratch, 'screenshot.png') : join(root, 'examples/job-progress/screenshot.png');

let page: Awaited<ReturnType<typeof startJobProgressPage>>;
let browser: Browser;
const scheduler = createManualScheduler();
let listed: Stack;
let unlisted: Stack;
const gateways = { listed: '', unlisted: '' };

beforeAll(async () => {
  page = await startJobProgressPage();
  const access = { apiKeys: [{ key: KEY, scopes: ['read' as const, 'write' as const] }] };
  // The listed gateway's pollers run when the test says (the scheduler), its jobs end when the test moves the emulator's clock.
  listed = await startStack({ scheduler, gateway: { access, corsOrigins: [page.origin], examples: true } });
  unlisted = await startStack({ gateway: { access } });
  gateways.listed = await listed.gateway.start(0, '127.0.0.1');
  gateways.unlisted = await unlisted.gateway.start(0, '127.0.0.1');
  browser = await launch({
    executablePath: chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([listed?.stop(), unlisted?.stop(), page?.stop()]);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A tab on the page, told which gateway to call, with the API key typed in and "Watch jobs" pressed; its console kept. */
async function watchFrom(gateway: string) {
  const tab = await browser.newPage();
  await tab.setViewport({ width: 900, height: 640 });
  const console: string[] = [];
  tab.on('console', (message) => console.push(message.text()));
  await tab.goto(page.url(gateway));
  await tab.type('#key', KEY);
  await tab.click('#watch');
  return { tab, console };
}

const text = (tab: Page, selector: string) => tab.$eval(selector, (e) => e.textContent ?? '');
const texts = (tab: Page, selector: string) => tab.$$eval(selector, (all) => all.map((e) => e.firstChild?.textContent ?? ''));

describe('the job-progress page in Chromium, from another origin', () => {
  it('shows why it cannot call a gateway whose CORS_ORIGINS does not list its origin: the preflight fails', async () => {
    const { tab, console } = await watchFrom(gateways.unlisted);
    await tab.waitForFunction(() => document.getElementById('error')!.textContent !== '');
    expect(await text(tab, '#error')).toBe(
      `The gateway at ${gateways.unlisted} could not be reached from this page: it is down, or it refused this origin ` +
        `(its CORS_ORIGINS must list ${page.origin})`,
    );
    expect(await text(tab, '#status')).toBe('Not watching.');
    // Chromium's own account: the preflight got no Access-Control-Allow-Origin.
    expect(console.join('\n')).toMatch(/has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header/);
    expect(unlisted.calls()).toEqual({});
    await tab.close();
  });

  it("lists an environment's jobs with CORS_ORIGINS set, starts one and shows its states in order to the end", async () => {
    const { tab } = await watchFrom(gateways.listed);
    await tab.waitForSelector('#status[data-live]');
    expect(await text(tab, '#error')).toBe('');
    // The demo environment's finished jobs, from the query; then the subscription is live.
    const listedJobs = await texts(tab, '#jobs tr td.state');
    expect(listedJobs.length).toBeGreaterThan(0);
    expect(new Set(listedJobs)).toEqual(new Set(['COMPLETED']));
    await until(() => listed.gateway.jobs.stats().subscribers === 1, 'the page to subscribe', 1_000_000);

    await tab.click('#start');
    await tab.waitForFunction(() => document.getElementById('started')!.textContent !== '');
    const jobId = /^Started job (\S+) /.exec(await text(tab, '#started'))![1];
    // The gateway polls at once after its mutation: the subscription has the job, still running.
    await scheduler.advance(0);
    expect(await texts(tab, '#states li')).toEqual(['IN_PROGRESS']);

    await listed.emulator.advance(3000);
    await scheduler.advance(60_000);
    await tab.waitForFunction(() => document.querySelectorAll('#states li').length === 2);
    expect(await texts(tab, '#states li')).toEqual(['IN_PROGRESS', 'COMPLETED']);
    expect(await text(tab, '#progress-title')).toBe(`Job ${jobId} (CreateBackendStorage): done`);
    expect(await texts(tab, '#jobs tr[data-followed] td')).toEqual([jobId, 'CreateBackendStorage', 'COMPLETED', expect.any(String)]);
    expect(await text(tab, '#error')).toBe('');

    await tab.screenshot({ path: screenshotPath as `${string}.png`, fullPage: true });
    const png = readFileSync(screenshotPath);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(10_000);
    await tab.close();
  });
});

describe('serving the page', () => {
  it('keeps the committed bundle (main.js) in step with main.ts: npm run example:build writes it', async () => {
    expect(readFileSync(bundleFile, 'utf8')).toBe(await bundleJobProgress());
  });

  it('with EXAMPLES=true the gateway serves it under /examples/job-progress/ (same origin: no CORS to set up)', async () => {
    const base = gateways.listed.replace(/\/graphql$/, '');
    const html = await send(`${base}/examples/job-progress/`);
    expect([html.status, html.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    expect(html.body.toString()).toContain('<script type="module" src="main.js"></script>');
    const script = await send(`${base}/examples/job-progress/main.js`);
    expect([script.status, script.headers['content-type'], script.body.toString()]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      readFileSync(bundleFile, 'utf8'),
    ]);
    const folder = await send(`${base}/examples/job-progress?gateway=x`);
    expect([folder.status, folder.headers.location]).toEqual([308, '/examples/job-progress/?gateway=x']);
    // Anything else goes on to yoga, which asks for a credential before it says a path is none of its own.
    expect((await send(`${base}/examples/job-progress/serve.ts`)).status).toBe(401);
    // Nor the page without EXAMPLES.
    expect((await send(`${gateways.unlisted.replace(/\/graphql$/, '')}/examples/job-progress/`)).status).toBe(401);
  });

  it('job-progress: the README command serves it on a port of its own and prints its URL', async () => {
    const [block] = readmeExample('job-progress');
    const [command] = shellCommands(block.body);
    expect(command).toBe('npm run example:job-progress');
    // Port 0 rather than the README's 5173, which may be taken where tests run.
    const server = startProcess('npm', ['run', '--silent', 'example:job-progress'], cleanShellEnv({ PORT: '0' }));
    try {
      const [, url] = await server.waitFor(/^job-progress page: (http:\S+)$/m);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/examples\/job-progress\/\?gateway=http%3A%2F%2F127\.0\.0\.1%3A4000%2Fgraphql$/);
      const [, allowed] = await server.waitFor(/CORS_ORIGINS=(\S+)$/m);
      expect(allowed).toBe(new URL(url).origin);
      const served = await send(url);
      expect([served.status, served.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    } finally {
      await server.stop();
    }
  });
});
