/**
 * When to try the model again. Exponential backoff with full jitter (sleep a random time in
 * [0, min(cap, base·2^n)]) spreads the retries of many Lambda instances; a `retry-after` from the server is
 * honoured exactly, but only up to a cap: beyond it the item is parked by the state machine instead of a
 * Lambda sleeping (and billing) through the wait.
 */
export interface RetryPolicy {
  /** Attempts per route, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest `retry-after` we sleep through; longer ones park the item. */
  retryAfterCapMs: number;
  /** Total sleep allowed per invocation, across routes (keeps us well inside the Lambda timeout). */
  sleepBudgetMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  retryAfterCapMs: 10_000,
  sleepBudgetMs: 20_000,
};

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | {
      readonly retry: false;
      readonly why: 'attempts_exhausted' | 'retry_after_over_cap' | 'sleep_budget_exhausted';
    };

/** Full-jitter delay before attempt `failedAttempts + 1`. */
export function backoffDelayMs(policy: RetryPolicy, failedAttempts: number, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.floor(random() * ceiling);
}

export function decideRetry(
  policy: RetryPolicy,
  state: { failedAttempts: number; retryAfterMs?: number; sleptMs: number },
  random: () => number,
): RetryDecision {
  if (state.failedAttempts >= policy.maxAttempts) return { retry: false, why: 'attempts_exhausted' };
  if (state.retryAfterMs !== undefined && state.retryAfterMs > policy.retryAfterCapMs) {
    return { retry: false, why: 'retry_after_over_cap' };
  }
  const delayMs = state.retryAfterMs ?? backoffDelayMs(policy, state.failedAttempts, random);
  if (state.sleptMs + delayMs > policy.sleepBudgetMs) return { retry: false, why: 'sleep_budget_exhausted' };
  return { retry: true, delayMs };
}
