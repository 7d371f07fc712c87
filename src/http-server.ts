import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { answerClientError } from './http.js';

/**
 * The node:http server the gateway listens with. It tracks its sockets, so that a stop can end
 * those still open after the grace period and never hangs on a client that keeps one.
 */
export function createHttpServer(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  server.on('clientError', answerClientError);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  return {
    server,
    /** Listens on `port` (0: any free port) and resolves with the GraphQL endpoint's URL. */
    async listen(port: number, host: string): Promise<string> {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${shown}:${address.port}/graphql`;
    },
    /** Stops accepting connections; resolves once every one has closed. */
    close(): Promise<void> {
      return new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    },
    /** Ends the sockets still open. */
    destroySockets() {
      for (const socket of sockets) socket.destroy();
    },
  };
}
