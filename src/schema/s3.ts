import type { S3Bucket } from '../aws/map.js';
import { s3Buckets } from '../resolvers/s3.js';
import { builder } from './builder.js';
import { connectionArgs } from './connection.js';

const S3BucketRef = builder.objectRef<S3Bucket>('S3Bucket').implement({
  description: 'An S3 bucket of the account, as storage can import it.',
  fields: (t) => ({
    name: t.exposeString('name'),
    creationDate: t.exposeString('creationDate', { nullable: true }),
  }),
});

const S3BucketConnection = builder.connectionObject({ type: S3BucketRef, name: 'S3BucketConnection' });

builder.queryField('s3Buckets', (t) =>
  t.field({
    type: S3BucketConnection,
    description: 'The S3 buckets of the account (ListS3Buckets).',
    args: connectionArgs(t.arg),
    resolve: (_root, args, ctx) => s3Buckets(args, ctx),
  }),
);
