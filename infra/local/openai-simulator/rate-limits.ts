/**
 * OpenAI's rate-limit headers, from a simple one-minute window the simulator keeps for the whole
 * organisation: the first request opens a window, which closes 60 s later. A request that finds the
 * window's requests or tokens used up is answered 429 `rate_limit_exceeded`, as OpenAI does. Tokens
 * are counted when the answer is known (prompt + completion); OpenAI reserves an estimate up front,
 * which a one-process simulator has no need to copy.
 */

export interface RateLimits {
  /** @default 10_000 (OpenAI's usage tier 4 for gpt-4o) */
  readonly requestsPerMinute: number;
  /** @default 800_000 (OpenAI's usage tier 4 for gpt-4o) */
  readonly tokensPerMinute: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = { requestsPerMinute: 10_000, tokensPerMinute: 800_000 };
const WINDOW_MS = 60_000;

/** OpenAI writes the reset time as a Go duration: `20ms`, `1.5s`, `59.02s`, `1m0s`. */
export function formatResetDuration(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole < 1000) return `${whole}ms`;
  if (whole < 60_000) return `${Number((whole / 1000).toFixed(3))}s`;
  const minutes = Math.floor(whole / 60_000);
  return `${minutes}m${Number(((whole - minutes * 60_000) / 1000).toFixed(3))}s`;
}

export class RateLimitWindow {
  private windowStartMs = Number.NEGATIVE_INFINITY;
  private requests = 0;
  private tokens = 0;

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request, unless the window is used up; `false` means answer 429. */
  admit(): boolean {
    const now = this.now();
    if (now - this.windowStartMs >= WINDOW_MS) {
      this.windowStartMs = now;
      this.requests = 0;
      this.tokens = 0;
    }
    if (this.requests >= this.limits.requestsPerMinute || this.tokens >= this.limits.tokensPerMinute)
      return false;
    this.requests++;
    return true;
  }

  spend(tokens: number): void {
    this.tokens += tokens;
  }

  /** Until the window closes; zero outside a window. */
  private resetMs(): number {
    return Math.max(0, this.windowStartMs + WINDOW_MS - this.now());
  }

  headers(): Record<string, string> {
    const reset = formatResetDuration(this.resetMs());
    return {
      'x-ratelimit-limit-requests': String(this.limits.requestsPerMinute),
      'x-ratelimit-limit-tokens': String(this.limits.tokensPerMinute),
      'x-ratelimit-remaining-requests': String(Math.max(0, this.limits.requestsPerMinute - this.requests)),
      'x-ratelimit-remaining-tokens': String(Math.max(0, this.limits.tokensPerMinute - this.tokens)),
      'x-ratelimit-reset-requests': reset,
      'x-ratelimit-reset-tokens': reset,
    };
  }

  /** For a 429: how long until the window reopens. */
  retryAfterMs(): number {
    return Math.ceil(this.resetMs());
  }
}
