import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeId, startStack, type Stack } from './helpers.js';
import { upstreamNotFound } from './helpers-errors.js';

const APP = 'd1todoapp00001';

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(() => stack.stop());

const tokenFields = 'id appId sessionId challengeCode ttl app { appId appName }';

async function createToken(appId = APP) {
  return stack.graphql(
    `mutation ($input: CreateTokenInput!) {
      createToken(input: $input) { app { appId } token { ${tokenFields} } }
    }`,
    { input: { appId } },
  );
}

async function adminToken(sessionId: string, appId = APP) {
  const res = await stack.graphql(
    `query ($appId: ID!, $sessionId: ID!) { adminToken(appId: $appId, sessionId: $sessionId) { ${tokenFields} } }`,
    { appId, sessionId },
  );
  expect(res.errors).toBeUndefined();
  return res.data.adminToken;
}

async function newToken() {
  const res = await createToken();
  expect(res.errors).toBeUndefined();
  return res.data.createToken.token;
}

describe('createToken', () => {
  it('starts a login challenge for the app', async () => {
    const res = await createToken();
    expect(res.errors).toBeUndefined();
    const { app, token } = res.data.createToken;
    expect(app).toEqual({ appId: APP });
    expect(token).toEqual({
      id: expect.any(String),
      appId: APP,
      sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      challengeCode: expect.stringMatching(/^\d{6}$/),
      ttl: '3600',
      app: { appId: APP, appName: 'todo-app' },
    });
    expect(decodeId(token.id)).toEqual({ typename: 'AdminToken', key: [APP, token.sessionId] });
  });

  it('starts a different session each time', async () => {
    const a = await newToken();
    const b = await newToken();
    expect(a.sessionId).not.toBe(b.sessionId);
  });

  it('is NOT_FOUND for an unknown app', async () => {
    const res = await createToken('nosuchapp0000');
    expect(res).toStrictEqual({
      data: null,
      errors: [upstreamNotFound('CreateToken', 'app', { column: 7, line: 2, path: 'createToken', message: 'App nosuchapp0000 not found' })],
    });
  });
});

describe('adminToken', () => {
  it('answers the same session, challenge code and ttl as createToken', async () => {
    const created = await newToken();
    stack.resetCalls();
    expect(await adminToken(created.sessionId)).toEqual(created);
    expect(stack.calls()).toMatchObject({ GetToken: 1 });
  });

  it('is reachable as a node by its id', async () => {
    const created = await newToken();
    const res = await stack.graphql(
      `query ($id: ID!) { node(id: $id) { ... on AdminToken { sessionId challengeCode } } }`,
      { id: created.id },
    );
    expect(res).toEqual({
      data: { node: { sessionId: created.sessionId, challengeCode: created.challengeCode } },
    });
  });

  it('is null for an unknown session', async () => {
    expect(await adminToken('00000000-0000-0000-0000-000000000000')).toBeNull();
  });

  it('is null for a session of another app', async () => {
    const created = await newToken();
    expect(await adminToken(created.sessionId, 'd2gallery00002')).toBeNull();
  });

  it('is null once the token has lived its ttl', async () => {
    const created = await newToken();
    const ttlMs = Number(created.ttl) * 1000;
    await stack.emulator.advance(ttlMs - 1);
    expect(await adminToken(created.sessionId)).toEqual(created);
    await stack.emulator.advance(1);
    expect(await adminToken(created.sessionId)).toBeNull();
  });
});

describe('deleteToken', () => {
  const deleteToken = (sessionId: string) =>
    stack.graphql(
      `mutation ($input: DeleteTokenInput!) { deleteToken(input: $input) { app { appId } isSuccess } }`,
      { input: { appId: APP, sessionId } },
    );

  it('ends the session: isSuccess, then adminToken is null', async () => {
    const created = await newToken();
    const res = await deleteToken(created.sessionId);
    expect(res).toEqual({ data: { deleteToken: { app: { appId: APP }, isSuccess: true } } });
    expect(await adminToken(created.sessionId)).toBeNull();
  });

  it('is NOT_FOUND for a session already ended', async () => {
    const created = await newToken();
    await deleteToken(created.sessionId);
    const res = await deleteToken(created.sessionId);
    expect(res).toStrictEqual({
      data: null,
      errors: [
        upstreamNotFound('DeleteToken', 'token', {
          column: 40,
          path: 'deleteToken',
          message: expect.stringMatching(/^Session [0-9a-f-]{36} not found or expired$/),
        }),
      ],
    });
  });
});
