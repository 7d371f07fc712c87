import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

/** The ConfigError `loadConfig(env)` throws; fails the test if it throws something else or nothing. */
export function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}
