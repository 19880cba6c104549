/**
 * Budgets that stop spend before it happens.
 *
 * Before a model call the pre-flight estimate is **reserved** against the tenant's daily and monthly hard
 * caps (one conditional write: refused when spent + reserved + estimate would pass a cap); after the call
 * the reservation is **settled** to the actual cost, or **released** when no call was billed. A
 * reservation whose execution died is released by expiry: every reserve for the tenant first reclaims the
 * tenant's expired reservations, so a killed execution cannot block a tenant for longer than the
 * reservation TTL. Settled spend crossing a soft threshold (50/80/100 % by default) emits exactly one
 * `Budget Threshold Crossed` event per tenant, period and threshold (a conditional write claims it).
 *
 * Guarantee: at reservation time committed (spent + reserved) ≤ cap. Settling replaces an estimate with
 * the actual figure, so spent can pass the cap only by the amount by which the actual cost of the calls in
 * flight exceeded their estimates; the estimator errs high on purpose, so normally spent ≤ cap.
 */
import * as z from 'zod';
import { type Rejection, reject } from '../pipeline/reasons.js';
import type { BudgetPeriod, BudgetStore, OutcomeEvent, PeriodCap, PeriodSpend } from '../ports.js';
import budgetsJson from './budgets.json' with { type: 'json' };

const caps = z.object({
  dailyCapMicroUsd: z.number().int().nonnegative(),
  monthlyCapMicroUsd: z.number().int().nonnegative(),
});

const budgetConfigSchema = z
  .object({
    version: z.string().min(1),
    effectiveDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    thresholdsPercent: z.array(z.number().int().min(1).max(100)).min(1),
    reservationTtlSeconds: z.number().int().min(1),
    defaultTier: z.string().min(1),
    tiers: z.record(z.string(), caps),
    tenants: z.record(
      z.string(),
      z.object({
        tier: z.string().optional(),
        dailyCapMicroUsd: z.number().int().nonnegative().optional(),
        monthlyCapMicroUsd: z.number().int().nonnegative().optional(),
      }),
    ),
  })
  .superRefine((config, ctx) => {
    const tiers = [config.defaultTier, ...Object.values(config.tenants).map((t) => t.tier)];
    for (const tier of tiers) {
      if (tier !== undefined && !Object.hasOwn(config.tiers, tier)) {
        ctx.addIssue({ code: 'custom', message: `unknown tier ${tier}` });
      }
    }
  });

export type BudgetConfig = z.infer<typeof budgetConfigSchema>;

export function parseBudgetConfig(raw: unknown): BudgetConfig {
  return budgetConfigSchema.parse(raw);
}

/** The versioned budget configuration in the repo (functions/money/budgets.json). */
export const BUDGET_CONFIG: BudgetConfig = parseBudgetConfig(budgetsJson);

export interface TenantBudget {
  readonly tier: string;
  readonly dailyCapMicroUsd: number;
  readonly monthlyCapMicroUsd: number;
}

export function tenantBudget(config: BudgetConfig, tenant: string): TenantBudget {
  const own = Object.hasOwn(config.tenants, tenant) ? config.tenants[tenant] : undefined;
  const tier = own?.tier ?? config.defaultTier;
  const base = config.tiers[tier];
  if (!base) throw new Error(`budget config ${config.version}: unknown tier ${tier}`);
  return {
    tier,
    dailyCapMicroUsd: own?.dailyCapMicroUsd ?? base.dailyCapMicroUsd,
    monthlyCapMicroUsd: own?.monthlyCapMicroUsd ?? base.monthlyCapMicroUsd,
  };
}

export const BUDGET_THRESHOLD_DETAIL_TYPE = 'Budget Threshold Crossed';

export interface BudgetThresholdDetail {
  readonly tenant: string;
  readonly tier: string;
  readonly period: BudgetPeriod;
  readonly periodKey: string;
  readonly thresholdPercent: number;
  readonly capMicroUsd: number;
  readonly spentMicroUsd: number;
  readonly budgetConfigVersion: string;
  readonly at: string;
}

export type ReserveResult =
  | { readonly ok: true; readonly reservationId: string; readonly duplicate: boolean }
  | {
      readonly ok: false;
      readonly rejection: Rejection;
      readonly period: BudgetPeriod;
      readonly capMicroUsd: number;
      /** For the `BudgetExceeded` metric's `tier` dimension (infra/constructs/budget-alarms.ts). */
      readonly tier: string;
    };

export interface BudgetGuard {
  reserve(
    tenant: string,
    estimateMicroUsd: number,
    reservationId: string,
    expiresAt?: string,
  ): Promise<ReserveResult>;
  settle(reservationId: string, actualMicroUsd: number): Promise<{ settled: boolean }>;
  release(reservationId: string): Promise<{ released: boolean }>;
  /**
   * Adds spend that has already happened (the DLP step's AWS calls) to the tenant's day and month, once
   * per id and with no cap check: it cannot be refused after the fact, but it counts against the cap for
   * the calls that follow, and a threshold it crosses is announced like any other.
   */
  recordSpend(tenant: string, amountMicroUsd: number, id: string): Promise<{ recorded: boolean }>;
}

export function periodCaps(budget: TenantBudget, at: Date): PeriodCap[] {
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
  config?: BudgetConfig;
  now?: () => Date;
}): BudgetGuard {
  const config = deps.config ?? BUDGET_CONFIG;
  const now = deps.now ?? (() => new Date());
  const thresholds = [...config.thresholdsPercent].sort((a, b) => a - b);

  async function emitCrossings(tenant: string, spend: readonly PeriodSpend[], at: Date): Promise<void> {
    const budget = tenantBudget(config, tenant);
    for (const period of spend) {
      const cap = period.period === 'day' ? budget.dailyCapMicroUsd : budget.monthlyCapMicroUsd;
      for (const percent of thresholds) {
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
          budgetConfigVersion: config.version,
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
      const budget = tenantBudget(config, tenant);
      const periods = periodCaps(budget, at);
      const expiry = expiresAt ?? new Date(at.getTime() + config.reservationTtlSeconds * 1000).toISOString();
      const refuse = (period: PeriodCap): ReserveResult => ({
        ok: false,
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
      await deps.store.reclaimExpired({ tenant, now: at.toISOString() });
      const outcome = await deps.store.reserve({
        tenant,
        reservationId,
        amountMicroUsd: estimateMicroUsd,
        expiresAt: new Date(expiry).toISOString(),
        caps: periods,
        now: at.toISOString(),
      });
      if (!outcome.ok) {
        const period = periods.find((p) => p.period === outcome.period);
        if (!period) throw new Error(`store refused an unknown period ${outcome.period}`);
        return refuse(period);
      }
      return { ok: true, reservationId, duplicate: outcome.state !== 'reserved' };
    },

    async settle(reservationId, actualMicroUsd) {
      microUsd('actualMicroUsd', actualMicroUsd);
      const at = now();
      const result = await deps.store.settle({ reservationId, actualMicroUsd, now: at.toISOString() });
      // Also on a repeated settle: a crossing whose event failed last time is emitted now.
      await emitCrossings(result.tenant, result.spend, at);
      return { settled: result.settled };
    },

    async release(reservationId) {
      return deps.store.release({ reservationId, now: now().toISOString() });
    },

    async recordSpend(tenant, amountMicroUsd, id) {
      microUsd('amountMicroUsd', amountMicroUsd);
      const at = now();
      // A reservation against caps nothing can reach, settled at once: the store's own idempotent path.
      const uncapped = periodCaps(tenantBudget(config, tenant), at).map((p) => ({
        ...p,
        capMicroUsd: Number.MAX_SAFE_INTEGER,
      }));
      const expiresAt = new Date(at.getTime() + config.reservationTtlSeconds * 1000).toISOString();
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
        reservationId: id,
        actualMicroUsd: amountMicroUsd,
        now: at.toISOString(),
      });
      await emitCrossings(result.tenant, result.spend, at);
      return { recorded: result.settled };
    },
  };
}
