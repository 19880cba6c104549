import { describe, expect, it } from 'vitest';
import {
  formatResetDuration,
  RateLimitWindow,
} from '../../../../infra/local/openai-simulator/rate-limits.js';

describe('simulator rate-limit window', () => {
  it('writes reset times as OpenAI does: 20ms, 1.5s, 1m0s', () => {
    expect(formatResetDuration(20)).toBe('20ms');
    expect(formatResetDuration(1500)).toBe('1.5s');
    expect(formatResetDuration(60_000)).toBe('1m0s');
  });

  it('counts requests and tokens down within a minute, refuses past the limit, and starts afresh after it', () => {
    // Prepare
    let now = 1_000;
    const window = new RateLimitWindow({ requestsPerMinute: 2, tokensPerMinute: 100 }, () => now);

    // Act, Assess
    expect(window.admit()).toBe(true);
    window.spend(30);
    now += 15_000;
    expect(window.headers()).toEqual({
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-limit-tokens': '100',
      'x-ratelimit-remaining-requests': '1',
      'x-ratelimit-remaining-tokens': '70',
      'x-ratelimit-reset-requests': '45s',
      'x-ratelimit-reset-tokens': '45s',
    });
    expect(window.admit()).toBe(true);
    expect(window.admit()).toBe(false);
    expect(window.retryAfterMs()).toBe(45_000);
    now += 45_000;
    expect(window.admit()).toBe(true);
    expect(window.headers()['x-ratelimit-remaining-tokens']).toBe('100');
  });

  it('refuses once the tokens of the minute are spent', () => {
    const window = new RateLimitWindow({ requestsPerMinute: 100, tokensPerMinute: 50 }, () => 0);
    expect(window.admit()).toBe(true);
    window.spend(50);
    expect(window.admit()).toBe(false);
  });
});
