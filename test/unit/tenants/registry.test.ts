import { describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../functions/ports.js';
import {
  applyTenantChange,
  createTenantDirectory,
  resolveTenant,
  TENANT_SEED,
} from '../../../functions/tenants/registry.js';

const by = { actor: 'ops', at: '2026-12-02T10:00:00.000Z' };

describe('the tenant registry', () => {
  it('lays a record over its tier and keeps who changed it, when, and at which version', () => {
    // Act
    const first = applyTenantChange(
      TENANT_SEED,
      'acme',
      undefined,
      {
        dailyCapMicroUsd: 25_000_000,
        monthlyCapMicroUsd: 500_000_000,
        requestsPerMinute: 60,
        modelTokensPerMinute: 200_000,
        dlpPolicy: 'redact-demo',
      },
      by,
    );
    const second = applyTenantChange(
      TENANT_SEED,
      'acme',
      first,
      { requestsPerMinute: null, status: 'suspended' },
      {
        actor: 'someone-else',
        at: '2026-12-02T11:00:00.000Z',
      },
    );

    // Assess
    expect(first).toMatchObject({ tier: 'standard', status: 'active', version: 1, updatedBy: 'ops' });
    expect(resolveTenant(TENANT_SEED, 'acme', first)).toMatchObject({
      dailyCapMicroUsd: 25_000_000,
      requestsPerMinute: 60,
      modelTokensPerMinute: 200_000,
      dlpPolicy: 'redact-demo',
      source: 'registry',
    });
    expect(second).toMatchObject({ status: 'suspended', version: 2, updatedBy: 'someone-else' });
    expect(resolveTenant(TENANT_SEED, 'acme', second).requestsPerMinute).toBeUndefined();
  });

  it('refuses values no step could apply', () => {
    const change = (c: Parameters<typeof applyTenantChange>[3]) => () =>
      applyTenantChange(TENANT_SEED, 'acme', undefined, c, by);
    expect(change({ tier: 'gold' })).toThrow(/unknown tier/);
    expect(change({ dailyCapMicroUsd: -1 })).toThrow(/non-negative/);
    expect(change({ requestsPerMinute: 0 })).toThrow(/positive/);
    expect(change({ dlpPolicy: 'nope' })).toThrow(/no DLP policy/);
    expect(change({ allowedTasks: ['nope'] })).toThrow(/no task named nope/);
    expect(change({ addPrincipals: ['not-an-arn'] })).toThrow(/not an IAM principal ARN/);
    expect(() => applyTenantChange(TENANT_SEED, 'Bad Tenant', undefined, {}, by)).toThrow(
      /tenant must match/,
    );
  });

  it('sees a change within the cache window and reads the store once per window', async () => {
    // Prepare
    let record: TenantRecord | undefined;
    let reads = 0;
    let now = 0;
    const directory = createTenantDirectory({
      store: {
        get: async () => {
          reads += 1;
          return record;
        },
        tenantOfPrincipal: async () => undefined,
      },
      cacheMs: 1000,
      now: () => now,
    });

    // Act
    const before = await directory.resolve('acme');
    record = applyTenantChange(TENANT_SEED, 'acme', undefined, { dailyCapMicroUsd: 1000 }, by);
    const cached = await directory.resolve('acme');
    now += 1000;
    const after = await directory.resolve('acme');

    // Assess
    expect(before.source).toBe('default');
    expect(cached.source).toBe('default');
    expect(after).toMatchObject({ source: 'registry', dailyCapMicroUsd: 1000 });
    expect(reads).toBe(2);
  });
});
