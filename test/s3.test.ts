import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStack, type Stack, nothingKept } from './helpers.js';
import { refusal, upstreamBadRequest } from './helpers-errors.js';

let stack: Stack;
beforeEach(async () => {
  // Counts upstream calls per request: nothing kept across requests.
  stack = await startStack({ gateway: nothingKept });
});
afterEach(() => stack.stop());

/** The buckets as the service lists them: its order, all pages. */
const serviceOrder = () => stack.emulator.store.listBuckets().map((b) => b.name);

/** 30 more buckets, 37 in all: four ListS3Buckets pages of 10. */
function addBuckets(count = 30) {
  for (let i = 0; i < count; i++)
    stack.emulator.store.addBucket(`bulk-${String(i).padStart(2, '0')}`);
}

async function s3Buckets(first: number, after?: string | null) {
  const res = await stack.graphql(
    `query ($first: Int, $after: String) {
      s3Buckets(first: $first, after: $after) {
        edges { cursor node { name creationDate } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }`,
    { first, after },
  );
  expect(res.errors).toBeUndefined();
  return res.data.s3Buckets;
}

async function walk(first: number) {
  const names: string[] = [];
  const pages: any[] = [];
  let after: string | null = null;
  for (let i = 0; i < 100; i++) {
    const page: any = await s3Buckets(first, after);
    pages.push(page);
    names.push(...page.edges.map((e: any) => e.node.name));
    if (!page.pageInfo.hasNextPage) return { names, pages };
    expect(page.edges).toHaveLength(first);
    after = page.pageInfo.endCursor;
  }
  throw new Error('paging never ended');
}

describe('s3Buckets', () => {
  it('lists the seeded buckets, sorted as the service returns them, with their creation dates', async () => {
    const page = await s3Buckets(10);
    expect(page.edges.map((e: any) => e.node.name)).toEqual([
      'acme-backups',
      'acme-logs',
      'acme-media-assets',
      'photogallerystorage-d2gallery00002-staging',
      'shared-static-site',
      'todoappstorage-d1todoapp00001-dev',
      'todoappstorage-d1todoapp00001-prod',
    ]);
    expect(page.edges.every((e: any) => typeof e.node.creationDate === 'string')).toBe(true);
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it('pages to the end with first: 3, every bucket once, in the service order', async () => {
    addBuckets();
    const { names, pages } = await walk(3);
    expect(names).toEqual(serviceOrder());
    expect(names).toHaveLength(37);
    expect(new Set(names).size).toBe(37);
    expect(pages).toHaveLength(13);
    expect(pages.at(-1).edges).toHaveLength(1);
    expect(pages.at(-1).pageInfo.hasNextPage).toBe(false);
    expect(pages.slice(1).every((p) => p.pageInfo.hasPreviousPage)).toBe(true);
  });

  it('pages to the end with page sizes that do and do not divide the upstream page of 10', async () => {
    addBuckets();
    for (const first of [1, 5, 10, 11, 37, 40]) {
      const { names, pages } = await walk(first);
      expect(names).toEqual(serviceOrder());
      expect(pages.at(-1).pageInfo.hasNextPage).toBe(false);
    }
  });

  it('answers first: 25 from several upstream pages, in one request each', async () => {
    addBuckets();
    stack.resetCalls();
    const page = await s3Buckets(25);
    expect(page.edges.map((e: any) => e.node.name)).toEqual(serviceOrder().slice(0, 25));
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(stack.calls()).toEqual({ ListS3Buckets: 3 });

    stack.resetCalls();
    const rest = await s3Buckets(25, page.pageInfo.endCursor);
    expect(rest.edges.map((e: any) => e.node.name)).toEqual(serviceOrder().slice(25));
    expect(rest.pageInfo.hasNextPage).toBe(false);
    expect(stack.calls()).toEqual({ ListS3Buckets: 2 });
  });

  it('says no next page when the last bucket ends an upstream page', async () => {
    addBuckets(13);
    // 20 buckets: exactly two upstream pages of 10.
    const page = await s3Buckets(20);
    expect(page.edges).toHaveLength(20);
    expect(page.pageInfo.hasNextPage).toBe(false);
    const first10 = await s3Buckets(10);
    expect(first10.pageInfo.hasNextPage).toBe(true);
    const next10 = await s3Buckets(10, first10.pageInfo.endCursor);
    expect(next10.edges.map((e: any) => e.node.name)).toEqual(serviceOrder().slice(10));
    expect(next10.pageInfo.hasNextPage).toBe(false);
  });

  it('goes on after the cursor when a bucket sorted before it appears between pages', async () => {
    const page = await s3Buckets(3);
    expect(page.edges.map((e: any) => e.node.name)).toEqual(serviceOrder().slice(0, 3));
    stack.emulator.store.addBucket('aaa-new-bucket');
    const rest = await s3Buckets(10, page.pageInfo.endCursor);
    expect(rest.edges.map((e: any) => e.node.name)).toEqual(serviceOrder().slice(4));
  });

  it('is BAD_USER_INPUT for an invalid cursor', async () => {
    const res = await stack.graphql('{ s3Buckets(first: 3, after: "bogus") { edges { cursor } } }');
    expect(res).toStrictEqual({
      data: null,
      errors: refusal({ code: 'BAD_USER_INPUT', field: 'after', column: 3, path: 's3Buckets', message: 'Invalid cursor "bogus"' }),
    });
  });

  it('is BAD_USER_INPUT for a well-formed cursor whose page token the service rejects', async () => {
    const forged = Buffer.from(JSON.stringify({ t: 'forged', o: 0 })).toString('base64url');
    const res = await stack.graphql(
      'query ($after: String) { s3Buckets(after: $after) { edges { cursor } } }',
      {
        after: forged,
      },
    );
    expect(res).toStrictEqual({
      data: null,
      errors: [upstreamBadRequest('ListS3Buckets', { column: 26, path: 's3Buckets', message: 'Invalid nextToken' })],
    });
  });

  it('is BAD_USER_INPUT for first over 100', async () => {
    const res = await stack.graphql('{ s3Buckets(first: 101) { edges { cursor } } }');
    expect(res).toStrictEqual({
      data: null,
      errors: refusal({ code: 'BAD_USER_INPUT', field: 'first', column: 3, path: 's3Buckets', message: 'first must be from 0 to 100, got 101' }),
    });
  });
});
