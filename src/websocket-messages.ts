import { validateMessage } from 'graphql-ws';
import type { RawData } from 'ws';

/**
 * How the gateway reads graphql-ws messages. A subscribe message whose payload graphql-ws would
 * reject (no `query` string, `variables` not an object, ...) would close the socket and every
 * subscription on it with a bare 4400. Its payload goes on, behind a placeholder, to yoga's params
 * checks, which answer that one id with what is wrong; and a persisted operation may leave out
 * `query`, as over HTTP.
 */
export function createMessageReader() {
  // Subscribe payloads graphql-ws would refuse, by the placeholder sent in their stead.
  const rawParams = new WeakMap<object, unknown>();

  return {
    /** The message graphql-ws is handed: parsed, which it reads as it is, or the text it cannot parse. */
    read(data: RawData): unknown {
      const text = String(data);
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        return text; // graphql-ws closes the socket: the protocol allows nothing else.
      }
      if (!isSubscribe(message)) return message;
      try {
        validateMessage(message);
        return message;
      } catch {
        const placeholder = { query: '' };
        rawParams.set(placeholder, message.payload);
        return { ...message, payload: placeholder };
      }
    },
    /** The params a subscribe payload stands for: the payload itself, or the one behind its placeholder. */
    paramsOf(payload: object): unknown {
      return rawParams.has(payload) ? rawParams.get(payload) : payload;
    },
  };
}

function isSubscribe(message: unknown): message is { type: 'subscribe'; id: string; payload?: unknown } {
  return (
    message !== null &&
    typeof message === 'object' &&
    (message as { type?: unknown }).type === 'subscribe' &&
    typeof (message as { id?: unknown }).id === 'string' &&
    (message as { id: string }).id !== ''
  );
}
