import type { Context } from '../context.js';
import { forwardConnection, type ConnectionArgs } from './connection.js';

export interface S3Bucket {
  name: string;
  creationDate: string | null;
}

export const s3Buckets = (args: ConnectionArgs, ctx: Context) =>
  forwardConnection(
    args,
    async (nextToken) => {
      const page = await ctx.loaders.s3Buckets.load(nextToken ?? '');
      return { items: page.buckets ?? [], nextToken: page.nextToken };
    },
    (bucket): S3Bucket => ({ name: bucket.name ?? '', creationDate: bucket.creationDate ?? null }),
    (bucket) => bucket.name,
  );
