// The ceiling: a bare node:http server answering a fixed JSON body, as fast as Node serves HTTP.
import { createServer } from 'node:http';

const body = JSON.stringify({ data: { app: { appName: 'todo-app' } } });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${address.port}/graphql`);
});
