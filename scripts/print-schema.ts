import { writeFileSync } from 'node:fs';
import { printSortedSchema } from '../src/schema/index.js';

// `npm run schema`: rewrites schema.graphql from the code; a test fails when they differ.
writeFileSync(new URL('../schema.graphql', import.meta.url), printSortedSchema());
console.log('wrote schema.graphql');
