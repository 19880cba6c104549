import { describe, expect, it } from 'vitest';
import {
  BUDGET_CONFIG,
  parseBudgetConfig,
  periodCaps,
  tenantBudget,
} from '../../../functions/money/budget.js';

const base = {
  version: 't1',
  effectiveDate: '2026-11-24',
  thresholdsPercent: [50, 80, 100],
  reservationTtlSeconds: 60,
  defaultTier: 'standard',
  tiers: {
    standard: { dailyCapMicroUsd: 1000, monthlyCapMicroUsd: 10_000 },
    big: { dailyCapMicroUsd: 5000, monthlyCapMicroUsd: 50_000 },
  },
  tenants: { acme: { tier: 'big' }, tiny: { dailyCapMicroUsd: 10 } },
};

describe('budget config', () => {
  it('loads the versioned config in the repo', () => {
    // Assess
    expect(BUDGET_CONFIG.version).toMatch(/\S/);
    expect(BUDGET_CONFIG.thresholdsPercent).toEqual([50, 80, 100]);
    expect(tenantBudget(BUDGET_CONFIG, 'demo').tier).toBe('trial');
  });

  it('gives an unlisted tenant the default tier and lets a tenant override one cap', () => {
    // Prepare
    const config = parseBudgetConfig(base);

    // Act / Assess
    expect(tenantBudget(config, 'nobody')).toEqual({
      tier: 'standard',
      dailyCapMicroUsd: 1000,
      monthlyCapMicroUsd: 10_000,
    });
    expect(tenantBudget(config, 'acme')).toEqual({
      tier: 'big',
      dailyCapMicroUsd: 5000,
      monthlyCapMicroUsd: 50_000,
    });
    expect(tenantBudget(config, 'tiny')).toEqual({
      tier: 'standard',
      dailyCapMicroUsd: 10,
      monthlyCapMicroUsd: 10_000,
    });
  });

  it('rejects a config that names an unknown tier or a fractional cap', () => {
    // Act / Assess
    expect(() => parseBudgetConfig({ ...base, tenants: { x: { tier: 'gold' } } })).toThrow(
      /unknown tier gold/,
    );
    expect(() =>
      parseBudgetConfig({ ...base, tiers: { standard: { dailyCapMicroUsd: 1.5, monthlyCapMicroUsd: 2 } } }),
    ).toThrow();
  });

  it('counts a reservation against the UTC day and month it is made in', () => {
    // Act
    const caps = periodCaps(
      { tier: 'standard', dailyCapMicroUsd: 1, monthlyCapMicroUsd: 2 },
      new Date('2026-12-31T23:59:59.999Z'),
    );

    // Assess
    expect(caps).toEqual([
      { period: 'day', periodKey: '2026-12-31', capMicroUsd: 1 },
      { period: 'month', periodKey: '2026-12', capMicroUsd: 2 },
    ]);
  });
});
