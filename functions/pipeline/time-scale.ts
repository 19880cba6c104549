/**
 * One clock for rehearsals. The deployed stack waits in real time; a local rehearsal compresses every wait
 * by the same factor (`MEDIAGATE_TIME_SCALE`, 1 in AWS): the state machine's retry intervals, breaker
 * cool-downs and probe leases, `retry-after` and back-off sleeps, per-attempt timeouts and reservation
 * TTLs. With one factor the rehearsal walks through the same sequence of states as AWS, only faster.
 */

/** A per-attempt timeout never drops below this, so real (uncompressed) network latency still fits. */
export const MIN_COMPRESSED_TIMEOUT_MS = 5_000;

/** `ms` of world time as the rehearsal waits it; at scale 1, unchanged. */
export function compressMs(ms: number, scale: number): number {
  if (!(scale >= 1)) throw new Error(`the time scale must be a number ≥ 1; got ${scale}`);
  return scale === 1 ? ms : Math.max(1, Math.round(ms / scale));
}

/** Every duration field (`…Ms`) of a policy, compressed; counts and ratios are left as they are. */
export function compressPolicy<T extends object>(policy: T, scale: number): T {
  return Object.fromEntries(
    Object.entries(policy).map(([key, value]) =>
      key.endsWith('Ms') && typeof value === 'number' ? [key, compressMs(value, scale)] : [key, value],
    ),
  ) as T;
}

/** A timeout compressed like every other wait, but never below what a real round trip needs. */
export function compressTimeoutMs(ms: number, scale: number): number {
  return scale === 1 ? ms : Math.max(Math.min(ms, MIN_COMPRESSED_TIMEOUT_MS), compressMs(ms, scale));
}

/**
 * The scale a local rehearsal uses by default: the state machine's whole park patience fits in
 * `targetSeconds` (2 minutes), so a long outage plays out while someone watches.
 */
export function defaultTimeScale(patienceSeconds: number, targetSeconds = 120): number {
  return Math.max(1, Math.ceil(patienceSeconds / targetSeconds));
}
