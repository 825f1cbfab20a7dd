// The problems loadConfig reports for an environment (none when it loads).
import { ConfigError, loadConfig } from '../../src/config.ts';

export function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
