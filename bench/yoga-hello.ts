// Reference points for throughput: graphql-yoga answering `{ hello }`, with its defaults, and with
// `--lean` as fast as its options make it (no body-size stream, no GraphiQL or landing page): the
// most a yoga server gets on this machine before any schema or plugin of the gateway's.
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

const lean = process.argv.includes('--lean');
const yoga = createYoga({
  schema: createSchema({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } }),
  logging: false,
  ...(lean ? { maxRequestBodySize: false as const, graphiql: false, landingPage: false, healthCheckEndpoint: false as never } : {}),
});
const server = createServer(yoga);
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${address.port}/graphql`);
});
