// The job-progress page: lists an environment's jobs (a query, then the `backendJobs`
// subscription over graphql-ws), starts a job with a mutation and shows its states to the end.
// Plain DOM, no framework; bundled into main.js by `npm run example:build`.
import { createClient, type Client } from 'graphql-ws/client';

interface Job {
  jobId: string;
  operation: string | null;
  state: string;
  isDone: boolean;
  createTime: string | null;
  updateTime: string | null;
  error: string | null;
}

interface Settings {
  gateway: string;
  key: string;
  appId: string;
  environmentName: string;
}

interface GraphQLError {
  message: string;
  extensions?: { code?: string; retryAfterSeconds?: number };
}

const jobFields = 'jobId operation state isDone createTime updateTime error';

const listJobs = `query EnvironmentJobs($appId: ID!, $environmentName: String!) {
  backendEnvironment(appId: $appId, name: $environmentName) { jobs(first: 10) { edges { node { ${jobFields} } } } }
}`;

const watchJobs = `subscription WatchJobs($appId: ID!, $environmentName: String!) {
  backendJobs(appId: $appId, environmentName: $environmentName) { ${jobFields} }
}`;

const startStorage = `mutation StartStorage($input: CreateBackendStorageInput!) {
  createBackendStorage(input: $input) { job { ${jobFields} } }
}`;

const element = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => element<HTMLInputElement>(id);

/** Every job seen, with the states it went through in the order they arrived. */
const jobs = new Map<string, { job: Job; states: { state: string; at: string | null }[] }>();
let followed: string | undefined;
let client: Client | undefined;

function settings(): Settings {
  return {
    gateway: input('gateway').value.trim(),
    key: input('key').value.trim(),
    appId: input('app').value.trim(),
    environmentName: input('env').value.trim(),
  };
}

const credential = (key: string): Record<string, string> => (key ? { 'x-api-key': key } : {});

/** A GraphQL error as a person reads it: its message, its code, how long to wait, and the request to quote. */
function describe(error: GraphQLError, status?: number, requestId?: string | null): string {
  const code = error.extensions?.code ?? (status ? `HTTP ${status}` : undefined);
  const wait = error.extensions?.retryAfterSeconds;
  const details = [code, wait !== undefined ? `retry in ${wait} s` : undefined, requestId ? `request ${requestId}` : undefined];
  const said = details.filter(Boolean).join(', ');
  return said ? `${error.message} (${said})` : error.message;
}

/** One operation over HTTP; throws what a person needs to fix it. */
async function graphql<T>(s: Settings, query: string, variables: Record<string, unknown>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(s.gateway, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...credential(s.key) },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    // A browser tells a page nothing more about a refused preflight than about a network failure.
    throw new Error(
      `The gateway at ${s.gateway} could not be reached from this page: it is down, or it refused this origin ` +
        `(its CORS_ORIGINS must list ${location.origin})`,
    );
  }
  // Readable from another origin because the gateway exposes it (Access-Control-Expose-Headers).
  const requestId = response.headers.get('x-request-id');
  const body = (await response.json()) as { data?: T; errors?: GraphQLError[] };
  if (body.errors?.length) throw new Error(describe(body.errors[0], response.status, requestId));
  return body.data as T;
}

function showError(message: string) {
  element('error').textContent = message;
}

function showStatus(message: string, live = false) {
  const status = element('status');
  status.textContent = message;
  status.toggleAttribute('data-live', live);
}

function record(job: Job) {
  const seen = jobs.get(job.jobId) ?? { job, states: [] };
  seen.job = job;
  if (seen.states.at(-1)?.state !== job.state) seen.states.push({ state: job.state, at: job.updateTime ?? job.createTime });
  jobs.set(job.jobId, seen);
  render();
}

const time = (iso: string | null) => (iso ? new Date(iso).toISOString().slice(11, 19) : '');

function cell(text: string, className?: string) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function render() {
  const rows = [...jobs.values()].sort((a, b) => (b.job.createTime ?? '').localeCompare(a.job.createTime ?? ''));
  element('jobs').replaceChildren(
    ...rows.map(({ job }) => {
      const row = document.createElement('tr');
      row.toggleAttribute('data-followed', job.jobId === followed);
      const state = cell(job.state, 'state');
      state.dataset.state = job.state;
      row.append(cell(job.jobId, 'id'), cell(job.operation ?? ''), state, cell(time(job.updateTime ?? job.createTime)));
      return row;
    }),
  );
  const mine = followed ? jobs.get(followed) : undefined;
  element('progress').hidden = !mine;
  if (!mine) return;
  const { job, states } = mine;
  element('progress-title').textContent = `Job ${job.jobId} (${job.operation ?? 'unknown operation'})${job.isDone ? ': done' : ''}`;
  element('states').replaceChildren(
    ...states.map(({ state, at }) => {
      const item = document.createElement('li');
      item.className = 'state';
      item.dataset.state = state;
      item.textContent = state;
      const when = document.createElement('time');
      when.textContent = time(at);
      item.append(when);
      return item;
    }),
  );
  if (job.error) showError(`Job ${job.jobId} failed: ${job.error}`);
}

async function watch(s: Settings) {
  await client?.dispose();
  client = undefined;
  jobs.clear();
  followed = undefined;
  render();
  showError('');
  element<HTMLButtonElement>('start').disabled = true;
  showStatus('Loading jobs…');
  const variables = { appId: s.appId, environmentName: s.environmentName };
  const data = await graphql<{ backendEnvironment: { jobs: { edges: { node: Job }[] } } | null }>(s, listJobs, variables);
  if (!data.backendEnvironment) throw new Error(`App ${s.appId} has no environment ${s.environmentName}`);
  for (const { node } of data.backendEnvironment.jobs.edges) record(node);

  showStatus('Subscribing…');
  const socket = createClient({
    url: s.gateway.replace(/^http/, 'ws'),
    connectionParams: credential(s.key),
    retryAttempts: 0,
    on: {
      connected: () => showStatus(`Live: jobs of ${s.appId}/${s.environmentName} as they change`, true),
      closed: (event) => {
        if (client !== socket) return;
        const { code, reason } = event as CloseEvent;
        // A refused upgrade (an origin not in CORS_ORIGINS) reaches a page as 1006 and nothing more.
        const why = code === 1006 ? `: the gateway refused the connection or is down (is ${location.origin} in its CORS_ORIGINS?)` : reason ? `: ${reason}` : '';
        showStatus('Not watching.');
        showError(`The subscription closed (${code})${why}`);
      },
    },
  });
  client = socket;
  socket.subscribe<{ backendJobs: Job }>(
    { query: watchJobs, variables },
    {
      next: (result) => {
        if (result.errors?.length) showError(describe(result.errors[0] as GraphQLError));
        else if (result.data) record(result.data.backendJobs);
      },
      // graphql-ws hands GraphQL errors as an array, a closed socket as its close event (shown by `closed`).
      error: (error) => {
        if (Array.isArray(error)) showError(describe(error[0] as GraphQLError));
      },
      complete: () => undefined,
    },
  );
  element<HTMLButtonElement>('start').disabled = false;
}

async function startJob(s: Settings) {
  showError('');
  const resourceName = `pagestorage${Date.now().toString(36)}`;
  const storage = { appId: s.appId, environmentName: s.environmentName, resourceName, config: { permissions: { authenticated: ['READ'] } } };
  const data = await graphql<{ createBackendStorage: { job: Job | null } }>(s, startStorage, { input: storage });
  const job = data.createBackendStorage.job;
  if (!job) throw new Error('The storage resource was created without a job to follow');
  followed = job.jobId;
  element('started').textContent = `Started job ${job.jobId} (storage ${resourceName}).`;
  record(job);
}

const failed = (error: unknown) => showError(error instanceof Error ? error.message : String(error));

input('gateway').value = new URLSearchParams(location.search).get('gateway') ?? new URL('/graphql', location.href).href;
element('connect').addEventListener('submit', (event) => {
  event.preventDefault();
  watch(settings()).catch((error: unknown) => {
    showStatus('Not watching.');
    failed(error);
  });
});
element('start').addEventListener('click', () => {
  startJob(settings()).catch(failed);
});
