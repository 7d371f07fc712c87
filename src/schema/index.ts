import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.js';
import './app.js';
import './environment.js';
import './api.js';
import './auth.js';
import './storage.js';
import './job.js';
import './token.js';
import './s3.js';

/** Builds the schema. The builder is module state, so this is built once and shared, read-only. */
export const schema = builder.toSchema({ sortSchema: false });

/** The SDL as committed in schema.graphql. */
export const printSortedSchema = () => printSchema(lexicographicSortSchema(schema));
