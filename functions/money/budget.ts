/**
 * Budgets that stop spend before it happens.
 *
 * Before a model call the pre-flight estimate is **reserved** against the tenant's daily and monthly hard
 * caps (one conditional write: refused when spent + reserved + estimate would pass a cap); after the call
 * the reservation is **settled** to the actual cost, or **released** when no call was billed. A
 * reservation whose execution died is released by expiry: a reserve the caps refuse first reclaims the
 * tenant's expired reservations and asks again, so a killed execution cannot block a tenant for longer than
 * the reservation TTL (the sweeper also reclaims them on its schedule). A reserve with room reads nothing
 * else: no query of the tenant's reservations on every model call. Settled spend crossing a soft threshold
 * (50/80/100 % by default) emits exactly one `Budget Threshold Crossed` event per tenant, period and
 * threshold (a conditional write claims it).
 *
 * Guarantee: at reservation time committed (spent + reserved) ≤ cap. Settling replaces an estimate with
 * the actual figure, so spent can pass the cap only by the amount by which the actual cost of the calls in
 * flight exceeded their estimates; the estimator errs high on purpose, so normally spent ≤ cap.
 *
 * Refusing only real overspend: a reservation the counter refuses is `exceeded` only when settled spend
 * plus its own estimate passes the cap. When it is other items' open reservations that fill the cap, the
 * verdict is `pending`: the item waits (the state machine parks it like an outage) and asks again after
 * they settle, usually to far less than they held. So the tenant stops only when spent > cap − estimate.
 *
 * Caps come from the tenant registry (functions/tenants/registry.ts) through `budgetOf`, read per item.
 */
import { type Rejection, reject } from '../pipeline/reasons.js';
import type {
  BudgetPeriod,
  BudgetStore,
  HeldReservation,
  OutcomeEvent,
  PeriodCap,
  PeriodSpend,
} from '../ports.js';
import type { EffectiveTenant } from '../tenants/registry.js';

/** What the guard needs of a tenant: its caps and thresholds, as the registry resolves them now. */
export type TenantBudget = Pick<
  EffectiveTenant,
  'tier' | 'dailyCapMicroUsd' | 'monthlyCapMicroUsd' | 'thresholdsPercent' | 'version'
>;

export const BUDGET_THRESHOLD_DETAIL_TYPE = 'Budget Threshold Crossed';

export interface BudgetThresholdDetail {
  readonly tenant: string;
  readonly tier: string;
  readonly period: BudgetPeriod;
  readonly periodKey: string;
  readonly thresholdPercent: number;
  readonly capMicroUsd: number;
  readonly spentMicroUsd: number;
  /** The seed's version and the registry record's (`<seed>/r<version>`) the caps came from. */
  readonly budgetConfigVersion: string;
  readonly at: string;
}

export type ReserveResult =
  | {
      readonly ok: true;
      readonly reservationId: string;
      readonly duplicate: boolean;
      /** The reservation as this call wrote it (not for a duplicate): `settle` then needs no read first. */
      readonly held?: HeldReservation;
    }
  | {
      readonly ok: false;
      /**
       * `exceeded`: settled spend plus this estimate passes the cap (the item ends budget_exceeded).
       * `pending`: only other items' open reservations stand in the way; the item waits for them to settle.
       */
      readonly verdict: 'exceeded' | 'pending';
      readonly rejection: Rejection;
      readonly period: BudgetPeriod;
      readonly capMicroUsd: number;
      /** For the `BudgetExceeded` metric's `tier` dimension (infra/constructs/budget-alarms.ts). */
      readonly tier: string;
    };

export interface BudgetGuard {
  /**
   * Reserves the estimate against the caps; when they refuse, releases the tenant's expired reservations
   * and asks once more, so a killed execution's hold never blocks the tenant.
   */
  reserve(
    tenant: string,
    estimateMicroUsd: number,
    reservationId: string,
    expiresAt?: string,
  ): Promise<ReserveResult>;
  /** Releases the tenant's expired reservations now (what a refused `reserve` does); returns how many. */
  reclaimExpired(tenant: string): Promise<number>;
  settle(
    tenant: string,
    reservationId: string,
    actualMicroUsd: number,
    held?: HeldReservation,
  ): Promise<{ settled: boolean }>;
  release(tenant: string, reservationId: string): Promise<{ released: boolean }>;
  /**
   * Adds spend that has already happened (the DLP step's AWS calls) to the tenant's day and month, once
   * per id and with no cap check: it cannot be refused after the fact, but it counts against the cap for
   * the calls that follow, and a threshold it crosses is announced like any other.
   */
  recordSpend(tenant: string, amountMicroUsd: number, id: string): Promise<{ recorded: boolean }>;
}

export function periodCaps(
  budget: Pick<TenantBudget, 'dailyCapMicroUsd' | 'monthlyCapMicroUsd'>,
  at: Date,
): PeriodCap[] {
  const iso = at.toISOString();
  return [
    { period: 'day', periodKey: iso.slice(0, 10), capMicroUsd: budget.dailyCapMicroUsd },
    { period: 'month', periodKey: iso.slice(0, 7), capMicroUsd: budget.monthlyCapMicroUsd },
  ];
}

function microUsd(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative integer`);
  return value;
}

export function createBudgetGuard(deps: {
  store: BudgetStore;
  emit: (event: OutcomeEvent) => Promise<void>;
  /** The tenant's caps now (the registry, cached briefly): a change applies to the next reservation. */
  budgetOf: (tenant: string) => Promise<TenantBudget>;
  /** How long a reservation holds its amount if its execution dies. */
  reservationTtlSeconds: number;
  /** Shown in threshold events as `<seedVersion>/r<record version>`. */
  seedVersion?: string;
  now?: () => Date;
}): BudgetGuard {
  const now = deps.now ?? (() => new Date());
  const configVersion = (budget: TenantBudget) => `${deps.seedVersion ?? 'seed'}/r${budget.version}`;

  async function emitCrossings(tenant: string, spend: readonly PeriodSpend[], at: Date): Promise<void> {
    const budget = await deps.budgetOf(tenant);
    for (const period of spend) {
      const cap = period.period === 'day' ? budget.dailyCapMicroUsd : budget.monthlyCapMicroUsd;
      for (const percent of budget.thresholdsPercent) {
        // Integer comparison: spent / cap ≥ percent / 100.
        if (cap === 0 || period.spentMicroUsd * 100 < percent * cap) continue;
        const key = { tenant, period: period.period, periodKey: period.periodKey, percent };
        if (!(await deps.store.markThreshold({ ...key, now: at.toISOString() }))) continue;
        const detail: BudgetThresholdDetail = {
          tenant,
          tier: budget.tier,
          period: period.period,
          periodKey: period.periodKey,
          thresholdPercent: percent,
          capMicroUsd: cap,
          spentMicroUsd: period.spentMicroUsd,
          budgetConfigVersion: configVersion(budget),
          at: at.toISOString(),
        };
        try {
          await deps.emit({ detailType: BUDGET_THRESHOLD_DETAIL_TYPE, detail });
        } catch (error) {
          // Give the claim back so the next settle (or this one, retried) emits it.
          await deps.store.unmarkThreshold(key);
          throw error;
        }
      }
    }
  }

  return {
    async reserve(tenant, estimateMicroUsd, reservationId, expiresAt) {
      microUsd('estimateMicroUsd', estimateMicroUsd);
      const at = now();
      const budget = await deps.budgetOf(tenant);
      const periods = periodCaps(budget, at);
      const expiry = expiresAt ?? new Date(at.getTime() + deps.reservationTtlSeconds * 1000).toISOString();
      const refuse = (period: PeriodCap, verdict: 'exceeded' | 'pending' = 'exceeded'): ReserveResult => ({
        ok: false,
        verdict,
        period: period.period,
        capMicroUsd: period.capMicroUsd,
        tier: budget.tier,
        rejection: reject(
          'BUDGET_EXCEEDED',
          `the tenant's ${period.period === 'day' ? 'daily' : 'monthly'} budget is spent`,
        ),
      });
      const hopeless = periods.find((p) => estimateMicroUsd > p.capMicroUsd);
      if (hopeless) return refuse(hopeless);
      const request = {
        tenant,
        reservationId,
        amountMicroUsd: estimateMicroUsd,
        expiresAt: new Date(expiry).toISOString(),
        caps: periods,
        now: at.toISOString(),
      };
      let outcome = await deps.store.reserve(request);
      // Refused: holds of executions that died may be what fills the cap. Released, they leave room.
      if (!outcome.ok && (await deps.store.reclaimExpired({ tenant, now: at.toISOString() })) > 0) {
        outcome = await deps.store.reserve(request);
      }
      if (!outcome.ok) {
        const period = periods.find((p) => p.period === outcome.period);
        if (!period) throw new Error(`store refused an unknown period ${outcome.period}`);
        // Refused only because of reservations still open: settled spend alone leaves room, so wait.
        const pending = outcome.spentMicroUsd + estimateMicroUsd <= period.capMicroUsd;
        return refuse(period, pending ? 'pending' : 'exceeded');
      }
      return {
        ok: true,
        reservationId,
        duplicate: outcome.state !== 'reserved',
        ...(outcome.held ? { held: outcome.held } : {}),
      };
    },

    async settle(tenant, reservationId, actualMicroUsd, held) {
      microUsd('actualMicroUsd', actualMicroUsd);
      const at = now();
      const result = await deps.store.settle({
        tenant,
        reservationId,
        actualMicroUsd,
        now: at.toISOString(),
        ...(held ? { held } : {}),
      });
      // Also on a repeated settle: a crossing whose event failed last time is emitted now.
      await emitCrossings(result.tenant, result.spend, at);
      return { settled: result.settled };
    },

    reclaimExpired(tenant) {
      return deps.store.reclaimExpired({ tenant, now: now().toISOString() });
    },

    async release(tenant, reservationId) {
      return deps.store.release({ tenant, reservationId, now: now().toISOString() });
    },

    async recordSpend(tenant, amountMicroUsd, id) {
      microUsd('amountMicroUsd', amountMicroUsd);
      const at = now();
      // A reservation against caps nothing can reach, settled at once: the store's own idempotent path.
      const uncapped = periodCaps(await deps.budgetOf(tenant), at).map((p) => ({
        ...p,
        capMicroUsd: Number.MAX_SAFE_INTEGER,
      }));
      const expiresAt = new Date(at.getTime() + deps.reservationTtlSeconds * 1000).toISOString();
      const held = await deps.store.reserve({
        tenant,
        reservationId: id,
        amountMicroUsd,
        expiresAt,
        caps: uncapped,
        now: at.toISOString(),
      });
      if (!held.ok) throw new Error(`recordSpend: the store refused an uncapped reservation ${id}`);
      const result = await deps.store.settle({
        tenant,
        reservationId: id,
        actualMicroUsd: amountMicroUsd,
        now: at.toISOString(),
      });
      await emitCrossings(result.tenant, result.spend, at);
      return { recorded: result.settled };
    },
  };
}
