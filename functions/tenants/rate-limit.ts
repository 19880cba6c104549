/**
 * Token buckets shared by every Lambda instance: a tenant's (requests and model tokens per minute, from
 * the registry) and the organisation's per model route (fed from OpenAI's `x-ratelimit-*` headers).
 *
 * A bucket is one item holding its level per dimension and when that level was taken. Admission reads it,
 * refills it continuously (rate × elapsed time, never past the capacity: that bounds a burst to one
 * minute's worth), takes the cost, and writes it back with one conditional update on the version it read;
 * a concurrent admission that wrote first makes us read again. A cost larger than the whole capacity is
 * charged as the capacity, so an item is never refused forever.
 */
import type { BucketId, BucketLevel, ObservedRateLimits, RateBucketStore } from '../ports.js';

export interface BucketSpec {
  /** Most tokens per dimension the bucket holds (the largest burst). */
  readonly capacity: Readonly<Record<string, number>>;
  /** Tokens per dimension added per millisecond. */
  readonly refillPerMs: Readonly<Record<string, number>>;
}

export type Admission = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

const MAX_ATTEMPTS = 20;

/** A per-minute limit as a bucket: a minute's worth of burst, refilled evenly. Rehearsals run faster. */
export function perMinuteBucket(
  limits: Readonly<Record<string, number | undefined>>,
  timeScale = 1,
): BucketSpec | undefined {
  const capacity: Record<string, number> = {};
  const refillPerMs: Record<string, number> = {};
  for (const [dimension, perMinute] of Object.entries(limits)) {
    if (perMinute === undefined) continue;
    capacity[dimension] = perMinute;
    refillPerMs[dimension] = (perMinute / 60_000) * timeScale;
  }
  return Object.keys(capacity).length > 0 ? { capacity, refillPerMs } : undefined;
}

/** The level at `now`: what it held plus what flowed in since, capped at the capacity. */
export function refill(
  spec: BucketSpec,
  level: BucketLevel | undefined,
  now: number,
): Record<string, number> {
  const tokens: Record<string, number> = {};
  for (const [dimension, capacity] of Object.entries(spec.capacity)) {
    const held = level?.tokens[dimension];
    const elapsed = level ? Math.max(0, now - level.at) : 0;
    tokens[dimension] =
      held === undefined ? capacity : Math.min(capacity, held + elapsed * (spec.refillPerMs[dimension] ?? 0));
  }
  return tokens;
}

/** Takes `cost` from the bucket if every dimension has it, in one conditional write; else how long to wait. */
export async function takeTokens(
  store: Pick<RateBucketStore, 'read' | 'write'>,
  bucket: BucketId,
  spec: BucketSpec,
  cost: Readonly<Record<string, number>>,
  now: () => number,
  /** What the caller just read of the bucket, used for the first attempt instead of reading it again. */
  alreadyRead?: Awaited<ReturnType<RateBucketStore['read']>>,
): Promise<Admission> {
  let known = alreadyRead;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const at = now();
    const current = known ?? (await store.read(bucket));
    known = undefined;
    const tokens = refill(spec, current?.level, at);
    let waitMs = 0;
    for (const [dimension, capacity] of Object.entries(spec.capacity)) {
      const want = Math.min(capacity, cost[dimension] ?? 0);
      const have = tokens[dimension] ?? 0;
      if (have < want) waitMs = Math.max(waitMs, (want - have) / (spec.refillPerMs[dimension] ?? 1));
      tokens[dimension] = have - want;
    }
    if (waitMs > 0) return { ok: false, retryAfterMs: Math.ceil(waitMs) };
    // Keeps what else the bucket holds (the provider's limits, for an organisation bucket).
    if (await store.write(bucket, { ...current?.level, tokens, at }, current?.version ?? 0))
      return { ok: true };
  }
  throw new Error('rate bucket: too many concurrent admissions; try again');
}

/**
 * Sets an organisation bucket from what the provider just said (`x-ratelimit-remaining-*` and `-reset-*`):
 * the provider's own count is the truth, so it replaces ours; the refill rate is the one that would bring
 * the remaining count back to the limit by the reset time.
 */
export function bucketFromHeaders(
  observed: ObservedRateLimits,
  now: number,
): { spec: BucketSpec; level: BucketLevel } | undefined {
  const capacity: Record<string, number> = {};
  const refillPerMs: Record<string, number> = {};
  const tokens: Record<string, number> = {};
  const dims = [
    ['requests', observed.limitRequests, observed.remainingRequests, observed.resetRequestsMs],
    ['tokens', observed.limitTokens, observed.remainingTokens, observed.resetTokensMs],
  ] as const;
  for (const [dimension, limit, remaining, resetMs] of dims) {
    if (limit === undefined || remaining === undefined || !(limit > 0)) continue;
    capacity[dimension] = limit;
    // The provider refills the whole window over its reset; until the reset, (limit − remaining) flows back.
    refillPerMs[dimension] =
      resetMs && resetMs > 0 ? Math.max(limit - remaining, 1) / resetMs : limit / 60_000;
    tokens[dimension] = Math.max(0, remaining);
  }
  if (Object.keys(capacity).length === 0) return undefined;
  return { spec: { capacity, refillPerMs }, level: { tokens, at: now } };
}

export interface OrgRateLimiter {
  /** Takes one request and `tokens` from the route's bucket, if the provider's last word leaves room. */
  admit(route: string, tokens: number): Promise<Admission>;
  /** Reads the route's bucket now, beside other work; the answer admits on what was read, as `admit` would. */
  prepareAdmit(route: string): (tokens: number) => Promise<Admission>;
  /** Replaces the route's bucket with what the provider just said (its `x-ratelimit-*` headers). */
  observe(route: string, observed: ObservedRateLimits): Promise<void>;
}

/**
 * The organisation's OpenAI limits per route, in the same kind of bucket as a tenant's, shared by every
 * instance. Its limits and level come from the provider's headers on each answer; until a first answer
 * has said anything, every call is admitted (the provider's own 429 and our retry policy still apply).
 */
export function createOrgRateLimiter(
  store: Pick<RateBucketStore, 'read' | 'write' | 'replace'>,
  now: () => number = Date.now,
): OrgRateLimiter {
  const admitOn = async (
    route: string,
    tokens: number,
    seen: ReturnType<RateBucketStore['read']>,
  ): Promise<Admission> => {
    const bucket: BucketId = { scope: 'org', route };
    const current = await seen;
    const { capacity, refillPerMs } = current?.level ?? {};
    if (!capacity || !refillPerMs) return { ok: true };
    return takeTokens(store, bucket, { capacity, refillPerMs }, { requests: 1, tokens }, now, current);
  };
  return {
    admit: (route, tokens) => admitOn(route, tokens, store.read({ scope: 'org', route })),
    prepareAdmit(route) {
      const seen = store.read({ scope: 'org', route });
      seen.catch(() => undefined);
      return (tokens) => admitOn(route, tokens, seen);
    },
    async observe(route, observed) {
      const at = now();
      const fresh = bucketFromHeaders(observed, at);
      if (!fresh) return;
      // The provider's count replaces ours whatever it was: no read, and an answer that raced ours wrote an
      // equally fresh count.
      await store.replace({ scope: 'org', route }, { ...fresh.level, ...fresh.spec });
    },
  };
}
