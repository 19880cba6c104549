import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, decideRetry } from '../../../functions/model/retry-policy.js';

const policy = {
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  retryAfterCapMs: 5_000,
  sleepBudgetMs: 8_000,
};

describe('retry policy', () => {
  it('doubles the jitter ceiling per failure up to the cap (full jitter)', () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(policy, n, top))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelayMs(policy, 3, () => 0)).toBe(0);
    expect(backoffDelayMs(policy, 3, () => 0.5)).toBe(200);
  });

  it('honours retry-after exactly instead of jitter', () => {
    expect(decideRetry(policy, { failedAttempts: 1, retryAfterMs: 2_000, sleptMs: 0 }, () => 0.5)).toEqual({
      retry: true,
      delayMs: 2_000,
    });
  });

  it('parks rather than sleeping through a retry-after over the cap', () => {
    expect(decideRetry(policy, { failedAttempts: 1, retryAfterMs: 5_001, sleptMs: 0 }, () => 0.5)).toEqual({
      retry: false,
      why: 'retry_after_over_cap',
    });
  });

  it('stops after the last attempt', () => {
    expect(decideRetry(policy, { failedAttempts: 4, sleptMs: 0 }, () => 0.5)).toEqual({
      retry: false,
      why: 'attempts_exhausted',
    });
  });

  it('stops when the next sleep would overrun the sleep budget', () => {
    expect(
      decideRetry(policy, { failedAttempts: 1, retryAfterMs: 3_000, sleptMs: 6_000 }, () => 0.5),
    ).toEqual({
      retry: false,
      why: 'sleep_budget_exhausted',
    });
  });

  it('keeps the default budget far inside a Lambda timeout', () => {
    expect(DEFAULT_RETRY_POLICY.sleepBudgetMs).toBeLessThanOrEqual(30_000);
    expect(DEFAULT_RETRY_POLICY.retryAfterCapMs).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.sleepBudgetMs);
  });
});
