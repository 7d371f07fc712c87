import { expect, it } from 'vitest';
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

/** A test per row: `loadConfig(env)` refuses with exactly `problem`, which names the setting and what it allows. */
export function itRefusesSettings(cases: [Record<string, string>, string][]) {
  it.each(cases)('refuses %o, naming the setting and what it allows', (env, problem) => {
    expect(configError(env).message).toBe(`invalid configuration:\n  - ${problem}`);
  });
}
