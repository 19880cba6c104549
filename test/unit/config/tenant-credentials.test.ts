import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { createTenantCredentials, tenantCredentials } from '../../../functions/config/clients/sts.js';
import { perTenant } from '../../../functions/config/per-tenant.js';
import { loadConfig } from '../../../functions/config/settings.js';

const ROLE = 'arn:aws:iam::111122223333:role/DlpCheckTenantData';
const HOUR_MS = 3_600_000;

/** An STS stand-in that answers AssumeRole with credentials named after the request and expiring in an hour. */
function fakeSts(clock: { now: number }) {
  const requests: AssumeRoleCommand['input'][] = [];
  const send = async (command: unknown) => {
    if (!(command instanceof AssumeRoleCommand)) throw new Error('only AssumeRole');
    requests.push(command.input);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const tenant = command.input.Tags?.find((tag) => tag.Key === 'tenant')?.Value;
    return {
      Credentials: {
        AccessKeyId: `AKIA-${tenant}-${requests.length}`,
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(clock.now + HOUR_MS),
      },
    };
  };
  return { requests, sts: async () => ({ send }) as never };
}

describe('tenant credentials', () => {
  it("assumes the step's tenant-data role with exactly the tenant tag, and keeps the session until shortly before expiry", async () => {
    // Prepare
    const clock = { now: Date.parse('2026-12-02T10:00:00Z') };
    const { requests, sts } = fakeSts(clock);
    const credentialsFor = createTenantCredentials({
      roleArn: ROLE,
      region: 'us-east-1',
      sessionPrefix: 'dlp-check',
      now: () => clock.now,
      sts,
    });
    // Act
    const first = await credentialsFor('acme')();
    clock.now += 50 * 60_000;
    const later = await credentialsFor('acme')();
    clock.now += 5 * 60_000;
    const renewed = await credentialsFor('acme')();
    // Assess
    expect(requests[0]).toEqual({
      RoleArn: ROLE,
      RoleSessionName: 'dlp-check-acme',
      DurationSeconds: 3600,
      Tags: [{ Key: 'tenant', Value: 'acme' }],
    });
    expect(later.accessKeyId).toBe(first.accessKeyId);
    expect(renewed.accessKeyId).not.toBe(first.accessKeyId);
    expect(requests).toHaveLength(2);
  });

  it('gives each tenant its own session, and concurrent first uses share one AssumeRole', async () => {
    // Prepare
    const clock = { now: Date.now() };
    const { requests, sts } = fakeSts(clock);
    const credentialsFor = createTenantCredentials({
      roleArn: ROLE,
      region: 'us-east-1',
      sessionPrefix: 's',
      sts,
    });
    // Act
    const [a1, a2, b] = await Promise.all([
      credentialsFor('acme')(),
      credentialsFor('acme')(),
      credentialsFor('beta')(),
    ]);
    // Assess
    expect(a1.accessKeyId).toBe(a2.accessKeyId);
    expect(b.accessKeyId).toMatch(/^AKIA-beta-/);
    expect(requests.map((request) => request.Tags?.[0]?.Value).sort()).toEqual(['acme', 'beta']);
  });

  it('refuses a tenant id that could widen the ARNs the tag is substituted into', () => {
    const credentialsFor = createTenantCredentials({
      roleArn: ROLE,
      region: 'us-east-1',
      sessionPrefix: 's',
    });
    for (const bad of ['', 'acme/*', 'ACME', 'a#b', 'x'.repeat(70)])
      expect(() => credentialsFor(bad)).toThrow(RangeError);
  });

  it('uses the process credentials where the stack set up no tenant role (the local stack)', () => {
    expect(tenantCredentials(loadConfig({}))('acme')).toBeUndefined();
    expect(tenantCredentials(loadConfig({ MEDIAGATE_TENANT_ROLE_ARN: ROLE }))('acme')).toBeTypeOf('function');
  });
});

describe('perTenant', () => {
  it('builds once per tenant and drops the least recently used past its bound', () => {
    // Prepare
    const built: string[] = [];
    const valueFor = perTenant((tenant) => {
      built.push(tenant);
      return { tenant };
    }, 2);
    // Act
    const a = valueFor('a');
    valueFor('b');
    expect(valueFor('a')).toBe(a);
    valueFor('c'); // evicts b, the least recently used
    valueFor('a');
    valueFor('b');
    // Assess
    expect(built).toEqual(['a', 'b', 'c', 'b']);
  });
});
