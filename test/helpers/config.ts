import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

/** Runs loadConfig expecting failure and returns the problem lines. */
export function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}
