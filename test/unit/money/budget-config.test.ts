import { describe, expect, it } from 'vitest';
import { periodCaps } from '../../../functions/money/budget.js';
import { parseTenantSeed, resolveTenant, TENANT_SEED } from '../../../functions/tenants/registry.js';

const base = {
  version: 't1',
  effectiveDate: '2026-11-24',
  thresholdsPercent: [50, 80, 100],
  reservationTtlSeconds: 60,
  defaultTier: 'standard',
  tiers: {
    standard: { dailyCapMicroUsd: 1000, monthlyCapMicroUsd: 10_000 },
    big: { dailyCapMicroUsd: 5000, monthlyCapMicroUsd: 50_000, requestsPerMinute: 600 },
  },
  tenants: { acme: { tier: 'big' }, tiny: { dailyCapMicroUsd: 10 } },
};

describe('the tenant seed (functions/money/budgets.json)', () => {
  it('loads the versioned seed in the repo', () => {
    // Assess
    expect(TENANT_SEED.version).toMatch(/\S/);
    expect(TENANT_SEED.thresholdsPercent).toEqual([50, 80, 100]);
    expect(resolveTenant(TENANT_SEED, 'demo', undefined)).toMatchObject({ tier: 'trial', source: 'seed' });
  });

  it('gives an unlisted tenant the default tier and lets a seed tenant override one cap', () => {
    // Prepare
    const seed = parseTenantSeed(base);

    // Act / Assess
    expect(resolveTenant(seed, 'nobody', undefined)).toMatchObject({
      tier: 'standard',
      dailyCapMicroUsd: 1000,
      monthlyCapMicroUsd: 10_000,
      source: 'default',
      status: 'active',
    });
    expect(resolveTenant(seed, 'acme', undefined)).toMatchObject({
      tier: 'big',
      dailyCapMicroUsd: 5000,
      monthlyCapMicroUsd: 50_000,
      requestsPerMinute: 600,
    });
    expect(resolveTenant(seed, 'tiny', undefined)).toMatchObject({
      tier: 'standard',
      dailyCapMicroUsd: 10,
      monthlyCapMicroUsd: 10_000,
    });
  });

  it('rejects a seed that names an unknown tier or a fractional cap', () => {
    // Act / Assess
    expect(() => parseTenantSeed({ ...base, tenants: { x: { tier: 'gold' } } })).toThrow(/unknown tier gold/);
    expect(() =>
      parseTenantSeed({ ...base, tiers: { standard: { dailyCapMicroUsd: 1.5, monthlyCapMicroUsd: 2 } } }),
    ).toThrow();
  });

  it('counts a reservation against the UTC day and month it is made in', () => {
    // Act
    const caps = periodCaps(
      { dailyCapMicroUsd: 1, monthlyCapMicroUsd: 2 },
      new Date('2026-12-31T23:59:59.999Z'),
    );

    // Assess
    expect(caps).toEqual([
      { period: 'day', periodKey: '2026-12-31', capMicroUsd: 1 },
      { period: 'month', periodKey: '2026-12', capMicroUsd: 2 },
    ]);
  });
});
