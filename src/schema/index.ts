import { lexicographicSortSchema, printSchema } from 'graphql';
// In the order the types were always registered in: the served schema lists them unsorted.
import './job.js';
import './api.js';
import './auth.js';
import './storage.js';
import './environment.js';
import './gen2.js';
import './app.js';
import './token.js';
import './s3.js';
import { withCostUsages } from './cost.js';
import { buildSubgraphSchema } from './federation.js';

/**
 * Builds the schema: the whole graph, and a Federation v2 subgraph too (`_entities`, `_service`).
 * The builder is module state, so this is built once and shared, read-only.
 */
const subgraph = buildSubgraphSchema();
export const schema = subgraph.schema;

/** The SDL as committed in schema.graphql. */
export const printSortedSchema = () => withCostUsages(printSchema(lexicographicSortSchema(schema)), schema);

/** The subgraph SDL, federation directives included: `_service { sdl }` and subgraph.graphql. */
export const printSubgraph = () => subgraph.sdl();
