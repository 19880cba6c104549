/**
 * Circuit breaker per model route, shared by every Lambda instance through a store (DynamoDB in AWS and
 * on the local stack). An in-process breaker protects nothing when a hundred instances each learn about
 * an outage on their own, and a naive shared one stampedes at half-open; so:
 *
 * - results are counted atomically in the store (no lost increments), per fixed window;
 * - closed → open after `failureThreshold` consecutive failures, or a failure rate at or over
 *   `failureRateThreshold` in a window with at least `minimumRequests` results;
 * - open → half-open after a cool-down that doubles on every re-open without a close (capped);
 * - half-open admits exactly one probe across all instances: taking the probe lease is a conditional
 *   write on the record's version, so one writer wins and everyone else sees "open". A probe that never
 *   reports (its Lambda died) frees the lease after `probeLeaseMs`;
 * - the probe's success closes the route, its failure re-opens it with a longer cool-down;
 * - every state change is a conditional write on `version` (no lost updates); each instance caches the
 *   record for `stateCacheMs` so the table is not read on every call;
 * - if the store itself fails, the breaker fails open (admits): it must never become the outage.
 */
import { randomUUID } from 'node:crypto';
import type { BreakerRecord, BreakerState, BreakerStore } from '../ports.js';

export interface Admission {
  readonly allowed: boolean;
  /** True for the single half-open probe: it gets one attempt, and its result closes or re-opens the route. */
  readonly probe: boolean;
  readonly state: BreakerState;
  /** Identifies the probe lease, so only its holder can settle it. */
  readonly lease?: string;
}

/** The breaker as the invoke loop sees it. */
export interface RouteBreaker {
  admit(route: string): Promise<Admission>;
  /**
   * Reads the route's state now, beside other work (the budget reservation); the answer admits on what
   * was read, as `admit` would have a moment later.
   */
  prepareAdmit?(route: string): () => Promise<Admission>;
  /** Reports an attempt's result; the caller reports outage-type failures only (a refusal says nothing about health). */
  record(route: string, admission: Admission, success: boolean): Promise<void>;
}

export interface BreakerPolicy {
  /** Consecutive failures that open a closed route. @default 5 */
  failureThreshold: number;
  /** Failure share in a window that opens the route. @default 0.5 */
  failureRateThreshold: number;
  /** Results a window needs before its failure rate counts. @default 20 */
  minimumRequests: number;
  /** @default 60_000 */
  windowMs: number;
  /** First cool-down; doubles on each re-open. @default 30_000 */
  coolDownMs: number;
  /** @default 300_000 */
  maxCoolDownMs: number;
  /** How long a probe may take before another instance may probe instead (> one attempt's timeout). @default 60_000 */
  probeLeaseMs: number;
  /** How long an instance trusts its cached copy of the record. @default 1_000 */
  stateCacheMs: number;
}

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = {
  failureThreshold: 5,
  failureRateThreshold: 0.5,
  minimumRequests: 20,
  windowMs: 60_000,
  coolDownMs: 30_000,
  maxCoolDownMs: 300_000,
  probeLeaseMs: 60_000,
  stateCacheMs: 1_000,
};

export type TransitionReason =
  | 'consecutive_failures'
  | 'failure_rate'
  | 'cool_down_elapsed'
  | 'probe_lease_expired'
  | 'probe_succeeded'
  | 'probe_failed';

export interface BreakerTransition {
  readonly route: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly reason: TransitionReason;
  /** ISO-8601 UTC. */
  readonly at: string;
  readonly reopenCount: number;
  /** ISO-8601 UTC, when the route next admits a probe (open only). */
  readonly openUntil?: string;
}

/** EventBridge detail-type for breaker transitions (see `breakerEvent`). */
export const BREAKER_EVENT_DETAIL_TYPE = 'Model Route Breaker Changed';

export function breakerEvent(transition: BreakerTransition): {
  detailType: string;
  detail: BreakerTransition;
} {
  return { detailType: BREAKER_EVENT_DETAIL_TYPE, detail: transition };
}

export interface SharedCircuitBreakerOptions {
  policy?: Partial<BreakerPolicy>;
  /** Epoch ms. @default Date.now */
  now?: () => number;
  /** Called after every transition this instance made (metrics, events). Errors are swallowed. */
  onTransition?: (transition: BreakerTransition) => void | Promise<void>;
  /** Called when the store fails; the breaker then admits (fails open). */
  onStoreError?: (error: unknown, operation: 'admit' | 'record') => void;
}

export function closedRecord(route: string): BreakerRecord {
  return {
    route,
    state: 'closed',
    version: 0,
    consecutiveFailures: 0,
    windowStartMs: 0,
    windowRequests: 0,
    windowFailures: 0,
    openUntilMs: 0,
    reopenCount: 0,
    probeLeaseUntilMs: 0,
  };
}

export function coolDownMs(policy: BreakerPolicy, reopenCount: number): number {
  return Math.min(policy.maxCoolDownMs, policy.coolDownMs * 2 ** reopenCount);
}

const DENY_OPEN: Admission = { allowed: false, probe: false, state: 'open' };
const ADMIT_CLOSED: Admission = { allowed: true, probe: false, state: 'closed' };

export class SharedCircuitBreaker implements RouteBreaker {
  private readonly policy: BreakerPolicy;
  private readonly now: () => number;
  private readonly cache = new Map<string, { record: BreakerRecord; fetchedAt: number }>();

  constructor(
    private readonly store: BreakerStore,
    private readonly options: SharedCircuitBreakerOptions = {},
  ) {
    this.policy = { ...DEFAULT_BREAKER_POLICY, ...options.policy };
    this.now = options.now ?? Date.now;
  }

  admit(route: string): Promise<Admission> {
    return this.admitOn(route, this.view(route));
  }

  prepareAdmit(route: string): () => Promise<Admission> {
    const seen = this.view(route);
    // Awaited (and its failure handled) by the admission; nothing is left unhandled if it never comes.
    seen.catch(() => undefined);
    return () => this.admitOn(route, seen);
  }

  private async admitOn(route: string, seen: Promise<BreakerRecord>): Promise<Admission> {
    try {
      const record = await seen;
      const now = this.now();
      if (record.state === 'closed') return ADMIT_CLOSED;
      if (record.state === 'open' && now < record.openUntilMs) return DENY_OPEN;
      if (record.state === 'half_open' && now < record.probeLeaseUntilMs)
        return { allowed: false, probe: false, state: 'half_open' };
      return await this.takeProbe(route);
    } catch (error) {
      this.options.onStoreError?.(error, 'admit');
      return ADMIT_CLOSED;
    }
  }

  async record(route: string, admission: Admission, success: boolean): Promise<void> {
    try {
      if (admission.probe) await this.settleProbe(route, admission, success);
      else await this.countResult(route, success);
    } catch (error) {
      this.options.onStoreError?.(error, 'record');
    }
  }

  /** The cached record if fresh enough, else the stored one. */
  private async view(route: string): Promise<BreakerRecord> {
    const cached = this.cache.get(route);
    if (cached && this.now() - cached.fetchedAt < this.policy.stateCacheMs) return cached.record;
    return this.refresh(route);
  }

  private async refresh(route: string): Promise<BreakerRecord> {
    const record = (await this.store.read(route)) ?? closedRecord(route);
    this.remember(record);
    return record;
  }

  private remember(record: BreakerRecord): void {
    this.cache.set(record.route, { record, fetchedAt: this.now() });
  }

  private async takeProbe(route: string): Promise<Admission> {
    // Never take a lease on the strength of a cached record: read, then write conditionally on what we read.
    const fresh = await this.refresh(route);
    const now = this.now();
    let reason: TransitionReason;
    if (fresh.state === 'closed') return ADMIT_CLOSED;
    if (fresh.state === 'open') {
      if (now < fresh.openUntilMs) return DENY_OPEN;
      reason = 'cool_down_elapsed';
    } else {
      if (now < fresh.probeLeaseUntilMs) return { allowed: false, probe: false, state: 'half_open' };
      reason = 'probe_lease_expired';
    }
    const lease = randomUUID();
    const next: BreakerRecord = {
      ...fresh,
      state: 'half_open',
      version: fresh.version + 1,
      probeLeaseUntilMs: now + this.policy.probeLeaseMs,
      probeLease: lease,
    };
    if (!(await this.store.transition(next, fresh.version))) {
      // Another instance took the lease first: for us the route is still closed to traffic.
      this.cache.delete(route);
      return { allowed: false, probe: false, state: 'half_open' };
    }
    this.remember(next);
    await this.emit(fresh, next, reason);
    return { allowed: true, probe: true, state: 'half_open', lease };
  }

  private async settleProbe(route: string, admission: Admission, success: boolean): Promise<void> {
    const fresh = (await this.store.read(route)) ?? closedRecord(route);
    // A lapsed lease may have passed to another instance: only the current holder settles the probe.
    if (fresh.state !== 'half_open' || fresh.probeLease !== admission.lease) {
      this.remember(fresh);
      return;
    }
    const now = this.now();
    const next: BreakerRecord = success
      ? { ...closedRecord(route), version: fresh.version + 1 }
      : {
          ...fresh,
          state: 'open',
          version: fresh.version + 1,
          reopenCount: fresh.reopenCount + 1,
          openUntilMs: now + coolDownMs(this.policy, fresh.reopenCount + 1),
          probeLeaseUntilMs: 0,
          probeLease: undefined,
        };
    if (await this.store.transition(next, fresh.version)) {
      this.remember(next);
      await this.emit(fresh, next, success ? 'probe_succeeded' : 'probe_failed');
    } else {
      this.cache.delete(route);
    }
  }

  private async countResult(route: string, success: boolean): Promise<void> {
    const now = this.now();
    const windowStartMs = Math.floor(now / this.policy.windowMs) * this.policy.windowMs;
    const counted = await this.store.count(route, { success, windowStartMs });
    this.remember(counted);
    if (success || counted.state !== 'closed') return;
    const rateTripped =
      counted.windowRequests >= this.policy.minimumRequests &&
      counted.windowFailures / counted.windowRequests >= this.policy.failureRateThreshold;
    const streakTripped = counted.consecutiveFailures >= this.policy.failureThreshold;
    if (!rateTripped && !streakTripped) return;
    const next: BreakerRecord = {
      ...counted,
      state: 'open',
      version: counted.version + 1,
      consecutiveFailures: 0,
      windowRequests: 0,
      windowFailures: 0,
      openUntilMs: now + coolDownMs(this.policy, counted.reopenCount),
      probeLeaseUntilMs: 0,
      probeLease: undefined,
    };
    // Losing this race means another instance already opened (or otherwise moved) the route: nothing to do.
    if (await this.store.transition(next, counted.version)) {
      this.remember(next);
      await this.emit(counted, next, streakTripped ? 'consecutive_failures' : 'failure_rate');
    } else {
      this.cache.delete(route);
    }
  }

  private async emit(from: BreakerRecord, to: BreakerRecord, reason: TransitionReason): Promise<void> {
    if (!this.options.onTransition) return;
    const transition: BreakerTransition = {
      route: to.route,
      from: from.state,
      to: to.state,
      reason,
      at: new Date(this.now()).toISOString(),
      reopenCount: to.reopenCount,
      ...(to.state === 'open' ? { openUntil: new Date(to.openUntilMs).toISOString() } : {}),
    };
    try {
      await this.options.onTransition(transition);
    } catch {
      // A failed metric or event must not turn a breaker transition into a model-call failure.
    }
  }
}
