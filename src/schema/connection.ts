import type { ArgBuilder } from '@pothos/core';
import { DEFAULT_PAGE, MAX_PAGE } from '../resolvers/connection.js';
import type { Types } from './builder.js';

/** The arguments of a forward-only connection (see resolvers/connection.ts). */
export const connectionArgs = (arg: ArgBuilder<Types>) => ({
  first: arg.int({ description: `At most ${MAX_PAGE}. Default ${DEFAULT_PAGE}.` }),
  after: arg.string(),
});
