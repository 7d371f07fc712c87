import { toS3Bucket } from '../aws/map.js';
import type { Context } from '../context.js';
import { forwardConnection, type ConnectionArgs } from './connection.js';

export const s3Buckets = (args: ConnectionArgs, ctx: Context) =>
  forwardConnection(
    args,
    async (nextToken) => {
      const page = await ctx.loaders.s3Buckets.load(nextToken ?? '');
      return { items: page.buckets ?? [], nextToken: page.nextToken };
    },
    toS3Bucket,
    (bucket) => bucket.name,
  );
