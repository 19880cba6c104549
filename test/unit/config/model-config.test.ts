import { describe, expect, it } from 'vitest';
import { createInvokeDeps } from '../../../functions/config/model-wiring.js';
import { loadConfig } from '../../../functions/config/settings.js';
import { findRoute } from '../../../functions/model/routes.js';

describe('model settings in the config module', () => {
  it('maps logical endpoints: primary from OPENAI_BASE_URL, others from MEDIAGATE_MODEL_ENDPOINTS', () => {
    const config = loadConfig({
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      MEDIAGATE_MODEL_ENDPOINTS: '{"secondary":"https://example.openai.azure.com/openai/v1"}',
    });
    expect(config.openai.endpoints).toEqual({
      primary: 'http://127.0.0.1:9/v1',
      secondary: 'https://example.openai.azure.com/openai/v1',
    });
  });

  it('leaves routes on an unconfigured endpoint out instead of sending them to primary', () => {
    const deps = createInvokeDeps({
      apiKey: 'k',
      timeoutMs: 1000,
      endpoints: loadConfig({}).openai.endpoints,
    });
    const secondary = findRoute('gpt-4o-secondary');
    const primary = findRoute('gpt-4o-primary');
    if (!secondary || !primary) throw new Error('routes missing');
    expect(deps.routeAvailable?.(primary)).toBe(true);
    expect(deps.routeAvailable?.(secondary)).toBe(false);
  });

  it('refuses malformed endpoint and policy settings by name', () => {
    expect(() => loadConfig({ MEDIAGATE_MODEL_ENDPOINTS: '{"secondary":"ftp://x"}' })).toThrow(
      /MEDIAGATE_MODEL_ENDPOINTS/,
    );
    expect(() => loadConfig({ MEDIAGATE_RETRY_POLICY: '{"maxAttempts":' })).toThrow(
      /MEDIAGATE_RETRY_POLICY.*JSON/,
    );
    expect(() => loadConfig({ MEDIAGATE_BREAKER_POLICY: '{"coolDownMs":-1}' })).toThrow(
      /MEDIAGATE_BREAKER_POLICY/,
    );
  });

  it('refuses a policy override with a field the policy does not have', () => {
    const { openai } = loadConfig({ MEDIAGATE_BREAKER_POLICY: '{"cooldownMs":500}' });
    expect(() =>
      createInvokeDeps({ apiKey: 'k', timeoutMs: 1000, endpoints: {}, breakerPolicy: openai.breakerPolicy }),
    ).toThrow(/unknown fields: cooldownMs/);
  });
});
