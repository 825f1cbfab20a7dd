import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('has working defaults and no upstream when NIM_PROXY_BASE_URL is unset', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 4000, modelsCacheTtlMs: 60_000 });
    expect(config.upstream.baseUrl).toBeUndefined();
    expect(config.limits).toEqual({ maxTokens: 4096, defaultMaxTokens: 256, maxPromptChars: 100_000 });
  });

  it.each([
    ['http://nim.test', 'http://nim.test'],
    ['http://nim.test/', 'http://nim.test'],
    ['http://nim.test/v1', 'http://nim.test'],
    ['http://nim.test/v1/', 'http://nim.test'],
    ['https://host:8443/apis/gateway/', 'https://host:8443/apis/gateway'],
  ])('normalises NIM_PROXY_BASE_URL %s to %s (exactly one /v1 is added per call)', (value, expected) => {
    expect(loadConfig({ NIM_PROXY_BASE_URL: value }).upstream.baseUrl).toBe(expected);
  });

  it('reports every bad variable with its name, the problem and the expected form', () => {
    const found = problems({ PORT: '70000', UPSTREAM_CONNECT_TIMEOUT_MS: '1.5', NIM_PROXY_BASE_URL: 'ftp://x' });
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/^NIM_PROXY_BASE_URL="ftp:\/\/x" has protocol ftp:; expected an http\(s\) URL/);
    expect(found.join('\n')).toMatch(/PORT=70000 is out of range; expected a whole number from 0 to 65535, e.g. PORT=4000/);
    expect(found.join('\n')).toMatch(/UPSTREAM_CONNECT_TIMEOUT_MS="1.5" is not a whole number/);
  });

  it('refuses credentials in the URL, pointing to NIM_PROXY_API_KEY', () => {
    expect(problems({ NIM_PROXY_BASE_URL: 'http://user:pw@nim.test' })[0]).toMatch(/NIM_PROXY_API_KEY/);
  });

  it('keeps DEFAULT_MAX_TOKENS within MAX_TOKENS_LIMIT', () => {
    expect(problems({ MAX_TOKENS_LIMIT: '100', DEFAULT_MAX_TOKENS: '200' })[0]).toMatch(/DEFAULT_MAX_TOKENS=200 is out of range; expected a whole number from 1 to 100/);
    expect(loadConfig({ MAX_TOKENS_LIMIT: '100' }).limits.defaultMaxTokens).toBe(100);
  });
});
