/**
 * Admission of one item to the model, after a cache miss and before the first billed call, in this order:
 * the tenant's status, then its rate limit (requests and model tokens per minute), then its budget. An
 * item that may go later (rate spent, or only open reservations in the way) throws
 * `AdmissionDeferredError`: the state machine parks it and calls the step again, and the first deferral
 * is remembered per execution so the outcome says how long the item waited.
 */
import type { BudgetGuard } from '../money/budget.js';
import { AdmissionDeferredError, type Rejection, reject } from '../pipeline/reasons.js';
import type { HeldReservation, RateBucketStore } from '../ports.js';
import { perMinuteBucket, takeTokens } from './rate-limit.js';
import type { TenantDirectory } from './registry.js';

export interface AdmissionDeps {
  readonly tenants: Pick<TenantDirectory, 'resolve'>;
  readonly buckets: RateBucketStore;
  readonly budget: Pick<BudgetGuard, 'reserve'>;
  /** Rehearsal clock: limits refill this many times faster (functions/pipeline/time-scale.ts). */
  readonly timeScale: number;
  readonly now?: () => number;
  /** Told when a tenant's cap refuses an item (the `BudgetExceeded` metric, by tier). */
  readonly onBudgetExceeded?: (tier: string) => void;
}

export interface AdmissionRequest {
  readonly tenant: string;
  readonly executionId: string;
  readonly reservationId: string;
  readonly estimateMicroUsd: number;
  readonly estimateTokens: number;
}

export type AdmissionResult =
  | {
      readonly ok: true;
      readonly waitedMs: number;
      readonly admittedAt: string;
      /** The reservation as written now (functions/money/budget.ts): RecordCost settles it without a read. */
      readonly held?: HeldReservation;
    }
  | { readonly ok: false; readonly rejection: Rejection };

export async function admitToModel(deps: AdmissionDeps, request: AdmissionRequest): Promise<AdmissionResult> {
  const now = deps.now ?? Date.now;
  const tenant = await deps.tenants.resolve(request.tenant);
  if (tenant.status === 'suspended')
    return { ok: false, rejection: reject('TENANT_SUSPENDED', 'the tenant is suspended') };

  const defer = async (error: AdmissionDeferredError): Promise<never> => {
    await deps.buckets.firstDeferral(request.tenant, request.executionId, now());
    throw error;
  };

  const spec = perMinuteBucket(
    { requests: tenant.requestsPerMinute, tokens: tenant.modelTokensPerMinute },
    deps.timeScale,
  );
  if (spec) {
    const taken = await takeTokens(
      deps.buckets,
      { scope: 'tenant', tenant: request.tenant },
      spec,
      { requests: 1, tokens: request.estimateTokens },
      now,
    );
    if (!taken.ok) {
      await defer(
        new AdmissionDeferredError(
          'RATE_LIMITED',
          taken.retryAfterMs,
          "the tenant's rate limit is spent for now",
        ),
      );
    }
  }

  // When the item first waited (if it did) is read beside the reservation: neither depends on the other.
  const [held, since] = await Promise.all([
    deps.budget.reserve(request.tenant, request.estimateMicroUsd, request.reservationId),
    deps.buckets.deferredSince(request.tenant, request.executionId),
  ]);
  if (!held.ok) {
    if (held.verdict === 'pending') {
      await defer(
        new AdmissionDeferredError(
          'BUDGET_PENDING',
          // Reservations settle within a model call or two; look again soon.
          5_000 / deps.timeScale,
          "other items' open reservations fill the cap; waiting for them to settle",
        ),
      );
    }
    deps.onBudgetExceeded?.(held.tier);
    return { ok: false, rejection: held.rejection };
  }
  const at = now();
  return {
    ok: true,
    waitedMs: since === undefined ? 0 : Math.max(0, at - since),
    admittedAt: new Date(at).toISOString(),
    ...(held.held ? { held: held.held } : {}),
  };
}
