import { describe, expect, it } from 'vitest';
import { callerTenant, principalOf } from '../../../functions/tenants/identity.js';
import { resolveTenant, TENANT_SEED, type TenantDirectory } from '../../../functions/tenants/registry.js';

const ROLE = 'arn:aws:iam::123456789012:role/acme-app';
const SESSION = 'arn:aws:sts::123456789012:assumed-role/acme-app/i-0abc';

function directory(suspended: string[] = []): TenantDirectory {
  return {
    resolve: async (tenant) => ({
      ...resolveTenant(TENANT_SEED, tenant, undefined),
      status: suspended.includes(tenant) ? 'suspended' : 'active',
    }),
    tenantOfPrincipal: async (arn) => (arn === ROLE ? 'acme' : undefined),
  };
}

describe("the caller's tenant", () => {
  it('binds an assumed-role session by its role', () => {
    expect(principalOf(SESSION)).toBe(ROLE);
    expect(principalOf('arn:aws:iam::123456789012:user/alice')).toBe('arn:aws:iam::123456789012:user/alice');
  });

  it("takes the bound tenant, refuses a body naming another with 403, and a suspended tenant's caller", async () => {
    const deps = { tenants: directory(), binding: 'required' as const };
    expect(await callerTenant(deps, { arn: SESSION })).toEqual({ ok: true, tenant: 'acme', boundBy: ROLE });
    expect(await callerTenant(deps, { arn: SESSION, requestedTenant: 'acme' })).toMatchObject({ ok: true });
    expect(await callerTenant(deps, { arn: SESSION, requestedTenant: 'globex' })).toMatchObject({
      ok: false,
      status: 403,
      reason: 'TENANT_MISMATCH',
    });
    expect(await callerTenant({ ...deps, tenants: directory(['acme']) }, { arn: SESSION })).toMatchObject({
      ok: false,
      status: 403,
      reason: 'TENANT_SUSPENDED',
    });
  });

  it('refuses an unbound caller when binding is required, and lets it name its tenant when optional', async () => {
    const stranger = { arn: 'arn:aws:sts::123456789012:assumed-role/other/x', requestedTenant: 'globex' };
    expect(await callerTenant({ tenants: directory(), binding: 'required' }, stranger)).toMatchObject({
      ok: false,
      status: 403,
      reason: 'TENANT_UNBOUND',
    });
    expect(await callerTenant({ tenants: directory(), binding: 'optional' }, stranger)).toEqual({
      ok: true,
      tenant: 'globex',
    });
    expect(await callerTenant({ tenants: directory(), binding: 'optional' }, {})).toMatchObject({
      ok: false,
      status: 400,
    });
  });
});
