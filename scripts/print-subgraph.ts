import { writeFileSync } from 'node:fs';
import { printSubgraph } from '../src/schema/index.js';

// `npm run subgraph`: rewrites subgraph.graphql (the SDL to compose, federation directives
// included) from the code; a test fails when they differ.
writeFileSync(new URL('../subgraph.graphql', import.meta.url), printSubgraph());
console.log('wrote subgraph.graphql');
