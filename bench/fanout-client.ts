// The subscriber side of the fan-out benchmark, in its own process so that 10,000 client sockets
// do not share a core with the server. Told what to do on stdin, it reports on stdout.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

interface Plan {
  url: string;
  subscribers: number;
  jobs: { appId: string; environmentName: string; jobId: string }[];
}

const plan = JSON.parse(await new Promise<string>((resolve) => {
  let text = '';
  process.stdin.on('data', (chunk) => (text += chunk));
  process.stdin.on('end', () => resolve(text));
})) as Plan;

const report = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
const clients: Client[] = [];
let ready = 0;
let done = 0;
let firstDone = 0;
let lastDone = 0;
// Per job: when its first and last subscriber had the change, the spread of one fan-out.
const perJob = new Map<string, { first: number; last: number }>();

function subscribe(i: number) {
  const job = plan.jobs[i % plan.jobs.length];
  const client = createClient({ url: plan.url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, onNonLazyError: () => {} });
  clients.push(client);
  let seen = 0;
  client.subscribe(
    {
      query: `subscription($a: ID!, $e: String!, $j: ID!) {
        backendJob(appId: $a, environmentName: $e, jobId: $j) { jobId state }
      }`,
      variables: { a: job.appId, e: job.environmentName, j: job.jobId },
    },
    {
      next: (result) => {
        const state = (result.data as any)?.backendJob?.state;
        seen++;
        if (seen === 1 && ++ready === plan.subscribers) report({ ready: true });
        if (state === 'COMPLETED' || state === 'FAILED') {
          const now = Date.now();
          firstDone ||= now;
          lastDone = now;
          const spread = perJob.get(job.jobId) ?? { first: now, last: now };
          spread.last = now;
          perJob.set(job.jobId, spread);
          if (++done === plan.subscribers) {
            const maxJobFanOutMs = Math.max(...[...perJob.values()].map((j) => j.last - j.first));
            report({ firstDone, lastDone, maxJobFanOutMs });
          }
        }
      },
      error: (error) => report({ error: String((error as Error)?.message ?? error) }),
      complete: () => undefined,
    },
  );
}

// Connect in batches: a burst of 10,000 SYNs overflows the listen backlog.
for (let i = 0; i < plan.subscribers; i++) {
  subscribe(i);
  if (i % 200 === 199) await new Promise((resolve) => setTimeout(resolve, 20));
}

process.on('SIGTERM', async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  process.exit(0);
});
