import { describe, expect, it } from 'vitest';
import {
  bucketFromHeaders,
  perMinuteBucket,
  refill,
  takeTokens,
} from '../../../functions/tenants/rate-limit.js';
import { memoryRateBuckets } from '../../fixtures/memory-rate-buckets.js';

const acme = { scope: 'tenant', tenant: 'acme' } as const;

describe('token buckets', () => {
  it('refills continuously and never past one minute of burst', () => {
    // Prepare: 60 requests a minute = one a second
    const spec = perMinuteBucket({ requests: 60 });
    if (!spec) throw new Error('no spec');

    // Act / Assess
    expect(refill(spec, undefined, 0)).toEqual({ requests: 60 });
    expect(refill(spec, { tokens: { requests: 0 }, at: 0 }, 500).requests).toBeCloseTo(0.5);
    expect(refill(spec, { tokens: { requests: 10 }, at: 0 }, 3_600_000)).toEqual({ requests: 60 });
  });

  it('admits a burst of the capacity, then one per refill interval, and says how long to wait', async () => {
    // Prepare: 2 requests a minute
    const store = memoryRateBuckets();
    const spec = perMinuteBucket({ requests: 2 });
    if (!spec) throw new Error('no spec');
    let now = 1_000_000;
    const take = () => takeTokens(store, acme, spec, { requests: 1 }, () => now);

    // Act
    const burst = [await take(), await take()];
    const third = await take();
    now += 30_000;
    const afterRefill = await take();
    const again = await take();

    // Assess
    expect(burst).toEqual([{ ok: true }, { ok: true }]);
    expect(third).toEqual({ ok: false, retryAfterMs: 30_000 });
    expect(afterRefill).toEqual({ ok: true });
    expect(again.ok).toBe(false);
    expect(store.writes).toBe(3);
  });

  it('takes both requests and model tokens, and charges a cost above the capacity as the whole capacity', async () => {
    // Prepare: 100 requests and 1 000 tokens a minute
    const store = memoryRateBuckets();
    const spec = perMinuteBucket({ requests: 100, tokens: 1000 });
    if (!spec) throw new Error('no spec');
    const now = () => 0;

    // Act
    const huge = await takeTokens(store, acme, spec, { requests: 1, tokens: 5000 }, now);
    const next = await takeTokens(store, acme, spec, { requests: 1, tokens: 100 }, now);

    // Assess: the huge one empties the token bucket; the next waits for 100 tokens (6 s at 1000/min)
    expect(huge).toEqual({ ok: true });
    expect(next).toEqual({ ok: false, retryAfterMs: 6000 });
  });

  it('never admits more than the bucket holds when admissions race', async () => {
    // Prepare
    const store = memoryRateBuckets();
    const spec = perMinuteBucket({ requests: 5 });
    if (!spec) throw new Error('no spec');

    // Act
    const results = await Promise.all(
      Array.from({ length: 20 }, () => takeTokens(store, acme, spec, { requests: 1 }, () => 0)),
    );

    // Assess
    expect(results.filter((r) => r.ok)).toHaveLength(5);
  });

  it('runs a rehearsal on the compressed clock', () => {
    expect(perMinuteBucket({ requests: 2 }, 30)?.refillPerMs.requests).toBeCloseTo(1 / 1000);
    expect(perMinuteBucket({ requests: undefined })).toBeUndefined();
  });

  it("takes the provider's own count from the x-ratelimit headers", () => {
    // Act
    const observed = bucketFromHeaders(
      {
        limitRequests: 500,
        remainingRequests: 0,
        resetRequestsMs: 120,
        limitTokens: 30_000,
        remainingTokens: 29_000,
        resetTokensMs: 2000,
      },
      10,
    );

    // Assess: empty for requests until the reset brings it back
    expect(observed?.level).toEqual({ tokens: { requests: 0, tokens: 29_000 }, at: 10 });
    expect(observed?.spec.capacity).toEqual({ requests: 500, tokens: 30_000 });
    expect(observed?.spec.refillPerMs.requests).toBeCloseTo(500 / 120);
    expect(bucketFromHeaders({}, 0)).toBeUndefined();
  });
});
