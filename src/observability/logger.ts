import { GraphQLError } from 'graphql';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config.js';
import { withoutVariableValue } from '../errors.js';

/**
 * Structured JSON logs. Nothing logs headers, variables or responses; the redaction below is a
 * second line, for any field that carries a credential or a secret by name.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'amplifybackend-graphql' },
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          'apiKey',
          '*.apiKey',
          '*["x-api-key"]',
          '*.clientSecret',
          '*.privateKey',
          '*.secretAccessKey',
          '*.sessionToken',
          '*.token',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** Yoga's logger, on pino. Upstream answers such as NOT_FOUND are the client's business: debug. */
export function yogaLogger(logger: Logger) {
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (...args: unknown[]) => {
    const found = args.find((a): a is Error => a instanceof Error);
    // Yoga logs the error it masked as it was: an invalid variable's value, which may be a secret.
    const error = found instanceof GraphQLError ? withoutVariableValue(found) : found;
    const message = args.filter((a) => typeof a === 'string').join(' ') || error?.message || 'yoga';
    const expected =
      error !== found ||
      (error && (error.name === 'UpstreamError' || (error as { originalError?: Error }).originalError?.name === 'UpstreamError'));
    const target = expected ? 'debug' : level;
    if (error) logger[target]({ err: error }, message);
    else logger[target](message);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
