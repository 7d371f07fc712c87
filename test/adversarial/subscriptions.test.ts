// Every root subscription field, its arguments generated as for queries, over SSE: the answer or
// each event is well-formed and blames the client, the pollers it starts reach upstream only
// through the operations a job watch may cause, each at its own path, and the process stays up.
// Pollers run on the manual scheduler: a run subscribes, lets the first poll happen, and leaves.
import fc from 'fast-check';
import { it } from 'vitest';
import {
  assertProperty, adminHeaders, checkAnswer, checkUpstream,
  fuzzParams, fuzzTimeout, nextEventData, useFuzzStack, type Answer,
} from '../helpers-adversarial.js';
import { requestFor, rootFields, segment, type GeneratedRequest, type RootField } from './arbitraries.js';

const stack = useFuzzStack();

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Subscribes over SSE, lets the first poll run, then leaves; the answer (or its events, one answer each). */
async function subscribe(request: GeneratedRequest): Promise<Answer[]> {
  const { gateway } = stack.fuzz.stack;
  const res = await gateway.yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...adminHeaders },
    body: JSON.stringify({ query: request.query, variables: request.variables }),
  });
  const contentType = res.headers.get('content-type') ?? '';
  if (!contentType.startsWith('text/event-stream')) return [{ status: res.status, contentType, text: await res.text() }];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let ended = false;
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    ended = true;
  })();
  // The stream has reached its watcher (or ended), then the first poll runs and its events go out.
  for (let i = 0; i < 200 && !ended && gateway.jobs.stats().subscribers === 0; i++) await turns(1);
  await stack.fuzz.scheduler.advance(0);
  await turns(20);
  if (!ended) await reader.cancel();
  await reading.catch(() => undefined);
  return nextEventData(text).map((data) => ({ status: res.status, contentType: 'application/json', text: data }));
}

const fields = rootFields.filter((f) => f.kind === 'subscription').map((f) => [f.name, f] as const);

async function attack(root: RootField, request: GeneratedRequest, check: 'contained' | 'answered') {
  await stack.fuzz.prepare();
  const answers = await subscribe(request);
  await stack.guard.check();
  if (check === 'answered') {
    for (const answer of answers) checkAnswer(answer);
    if (stack.fuzz.circuit() !== 'closed') throw new Error(`the circuit breaker is ${stack.fuzz.circuit()} after this subscription`);
  } else {
    const { made, served } = await stack.fuzz.calls();
    checkUpstream(`subscription.${root.name}`, made, served);
  }
}

it.each(fields)('subscription %s: the process stays up and upstream sees only its operations', async (name, root) => {
  await assertProperty(
    fc.asyncProperty(fc.oneof(requestFor(root), requestFor(root, segment)), (r) => attack(root, r, 'contained')),
    fuzzParams(`subscription contained ${name}`, 25, 4000),
  );
  await stack.fuzz.prepare();
  await stack.fuzz.probe();
}, fuzzTimeout());

it.each(fields)('subscription %s: every answer and event is well-formed and blames the client', async (name, root) => {
  await assertProperty(
    fc.asyncProperty(requestFor(root), (r) => attack(root, r, 'answered')),
    fuzzParams(`subscription answered ${name}`, 20, 4000),
  );
  await stack.fuzz.prepare();
  await stack.fuzz.probe();
}, fuzzTimeout());
