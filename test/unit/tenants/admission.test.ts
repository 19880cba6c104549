import { describe, expect, it } from 'vitest';
import type { ReserveResult } from '../../../functions/money/budget.js';
import { AdmissionDeferredError } from '../../../functions/pipeline/reasons.js';
import { admitToModel } from '../../../functions/tenants/admission.js';
import { type EffectiveTenant, resolveTenant, TENANT_SEED } from '../../../functions/tenants/registry.js';
import { memoryRateBuckets } from '../../fixtures/memory-rate-buckets.js';

function setup(tenant: Partial<EffectiveTenant>, verdicts: ('ok' | 'pending' | 'exceeded')[] = ['ok']) {
  let now = 1_000_000;
  const buckets = memoryRateBuckets();
  const reserves: number[] = [];
  const deps = {
    tenants: { resolve: async (id: string) => ({ ...resolveTenant(TENANT_SEED, id, undefined), ...tenant }) },
    buckets,
    timeScale: 1,
    now: () => now,
    budget: {
      async reserve(_tenant: string, amount: number, id: string): Promise<ReserveResult> {
        reserves.push(amount);
        const verdict = verdicts.shift() ?? 'ok';
        if (verdict === 'ok') return { ok: true, reservationId: id, duplicate: false };
        return {
          ok: false,
          verdict,
          period: 'day',
          capMicroUsd: 1,
          tier: 'standard',
          rejection: { reason: 'BUDGET_EXCEEDED', message: 'spent' },
        };
      },
    },
  };
  const ask = (executionId = 'mg-1') =>
    admitToModel(deps, {
      tenant: 'acme',
      executionId,
      reservationId: `${executionId}#InvokeModel`,
      estimateMicroUsd: 500,
      estimateTokens: 1000,
    });
  return { ask, reserves, advance: (ms: number) => (now += ms) };
}

describe('admission to the model', () => {
  it('refuses a suspended tenant before touching its bucket or budget', async () => {
    const { ask, reserves } = setup({ status: 'suspended' });
    expect(await ask()).toMatchObject({ ok: false, rejection: { reason: 'TENANT_SUSPENDED' } });
    expect(reserves).toEqual([]);
  });

  it('defers an item over its rate, then admits it and says how long it waited', async () => {
    // Prepare: one request a minute; the first item takes it
    const { ask, advance } = setup({ requestsPerMinute: 1 });
    expect(await ask('mg-0')).toMatchObject({ ok: true, waitedMs: 0 });

    // Act
    const deferred = await ask().catch((error: unknown) => error);
    advance(20_000);
    const stillDeferred = await ask().catch((error: unknown) => error);
    advance(40_000);
    const admitted = await ask();

    // Assess
    expect(deferred).toBeInstanceOf(AdmissionDeferredError);
    expect(deferred).toMatchObject({ name: 'RateLimited', retryAfterMs: 60_000 });
    expect(stillDeferred).toMatchObject({ name: 'RateLimited', retryAfterMs: 40_000 });
    expect(admitted).toMatchObject({ ok: true, waitedMs: 60_000 });
  });

  it('waits when only open reservations are in the way, and refuses only real overspend', async () => {
    const pending = setup({}, ['pending']);
    await expect(pending.ask()).rejects.toMatchObject({ name: 'BudgetPending' });
    const exceeded = setup({}, ['exceeded']);
    expect(await exceeded.ask()).toMatchObject({ ok: false, rejection: { reason: 'BUDGET_EXCEEDED' } });
  });
});
