import { Agent, request } from 'node:http';

// node:http with keep-alive, the transport the SDK itself uses, so that the two sides of the
// overhead figure differ only by the gateway (undici's fetch costs about a millisecond more).
const keepAlive = new Agent({ keepAlive: true });

/** POSTs `payload` as JSON; the answer's JSON. */
export function postJson(url: string, payload: object): Promise<any> {
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = request(url, { method: 'POST', agent: keepAlive, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A GraphQL operation over `postJson`. */
export const post = (url: string, query: string): Promise<{ data?: any; errors?: unknown[] }> => postJson(url, { query });
