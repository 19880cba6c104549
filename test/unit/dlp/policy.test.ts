import { describe, expect, it } from 'vitest';
import { policyForTenant, resolvePolicies, ruleFor } from '../../../functions/dlp/policy.js';
import { uploadTypesForTenant } from '../../../functions/dlp/upload-types.js';

const base = {
  version: 'base@1',
  defaultRule: { action: 'allow', minScore: 0.5 },
  unscannedAudio: 'block',
  rules: { SSN: { action: 'block', minScore: 0.5 } },
};

describe('DLP policy', () => {
  it('blocks government ids and card numbers and redacts contact data by default', () => {
    // Prepare
    const policy = policyForTenant('any-tenant');
    // Act
    const actions = Object.fromEntries(
      (
        [
          'SSN',
          'PASSPORT_NUMBER',
          'DRIVER_ID',
          'CREDIT_DEBIT_NUMBER',
          'EMAIL',
          'PHONE',
          'ADDRESS',
          'NAME',
          'IP_ADDRESS',
          'DATE_OF_BIRTH',
        ] as const
      ).map((t) => [t, ruleFor(policy, t).action]),
    );
    // Assess
    expect(actions).toEqual({
      SSN: 'block',
      PASSPORT_NUMBER: 'block',
      DRIVER_ID: 'block',
      CREDIT_DEBIT_NUMBER: 'block',
      EMAIL: 'redact',
      PHONE: 'redact',
      ADDRESS: 'redact',
      NAME: 'redact',
      IP_ADDRESS: 'redact',
      DATE_OF_BIRTH: 'allow',
    });
    expect(policy.unscannedAudio).toBe('block');
  });

  it('gives the redact-demo tenant a policy that redacts SSNs and cards under its own version', () => {
    // Prepare
    const policy = policyForTenant('redact-demo');
    // Act
    const actions = [ruleFor(policy, 'SSN').action, ruleFor(policy, 'CREDIT_DEBIT_NUMBER').action];
    // Assess
    expect(actions).toEqual(['redact', 'redact']);
    expect(policy.version).not.toBe(policyForTenant('default').version);
  });

  it('hands out copies, so changing one cannot change the next tenant item', () => {
    // Prepare
    const first = policyForTenant('demo');
    // Act
    first.defaultRule.action = 'block';
    // Assess
    expect(policyForTenant('demo').defaultRule.action).toBe('allow');
  });

  it('lets a policy extend another and override single rules', () => {
    // Prepare
    const raw = {
      defaultPolicy: 'base',
      policies: {
        base,
        child: { extends: 'base', version: 'child@1', rules: { EMAIL: { action: 'redact', minScore: 0.8 } } },
      },
      tenants: { acme: 'child' },
    };
    // Act
    const child = resolvePolicies(raw).byName.get('child');
    // Assess
    expect(child).toEqual({
      version: 'child@1',
      defaultRule: { action: 'allow', minScore: 0.5 },
      unscannedAudio: 'block',
      language: 'en',
      phoneRegions: ['US'],
      acceptPdf: true,
      acceptHeic: true,
      rules: { SSN: { action: 'block', minScore: 0.5 }, EMAIL: { action: 'redact', minScore: 0.8 } },
    });
  });

  it('takes PDFs and HEIC photos unless a policy, or one it extends, says not to', () => {
    // Prepare
    const raw = {
      defaultPolicy: 'base',
      policies: {
        base,
        noPdf: { extends: 'base', version: 'no-pdf@1', acceptPdf: false },
        noPdfChild: { extends: 'noPdf', version: 'no-pdf-child@1' },
      },
      tenants: {},
    };
    // Act
    const policies = resolvePolicies(raw).byName;
    // Assess
    expect(policies.get('base')).toMatchObject({ acceptPdf: true, acceptHeic: true });
    expect(policies.get('noPdfChild')).toMatchObject({ acceptPdf: false, acceptHeic: true });
  });

  it('gives the upload path (which skips the schema) the same flags the validated policies have', () => {
    for (const tenant of ['demo', 'redact-demo', 'images-only', 'language-auto']) {
      const policy = policyForTenant(tenant);
      expect(uploadTypesForTenant(tenant), tenant).toEqual({
        pdf: policy.acceptPdf,
        heic: policy.acceptHeic,
      });
    }
    expect(uploadTypesForTenant('images-only')).toEqual({ pdf: false, heic: false });
  });

  it('follows the policy the tenant registry names over the file mapping, as policyForTenant does', () => {
    // Act + Assess: a registry-assigned policy decides, both ways
    expect(uploadTypesForTenant('demo', 'images-only')).toEqual({ pdf: false, heic: false });
    const assigned = policyForTenant('images-only', 'redact-demo');
    expect(uploadTypesForTenant('images-only', 'redact-demo')).toEqual({
      pdf: assigned.acceptPdf,
      heic: assigned.acceptHeic,
    });
    expect(assigned.acceptPdf).toBe(true);
  });

  it('inherits the language of the policy it extends, English when none says', () => {
    // Prepare
    const raw = {
      defaultPolicy: 'base',
      policies: {
        base,
        spanish: { extends: 'base', version: 'spanish@1', language: 'es' },
        spanishChild: { extends: 'spanish', version: 'spanish-child@1' },
      },
      tenants: {},
    };
    // Act
    const { byName } = resolvePolicies(raw);
    // Assess
    expect(byName.get('base')?.language).toBe('en');
    expect(byName.get('spanishChild')?.language).toBe('es');
    expect(policyForTenant('language-auto').language).toBe('auto');
  });

  it.each([
    [
      'a language Comprehend cannot read',
      { defaultPolicy: 'p', policies: { p: { ...base, language: 'fr' } }, tenants: {} },
    ],
    [
      'an unknown entity type',
      { defaultPolicy: 'p', policies: { p: { ...base, rules: { SSNN: base.rules.SSN } } }, tenants: {} },
    ],
    [
      'a score above 1',
      {
        defaultPolicy: 'p',
        policies: { p: { ...base, defaultRule: { action: 'allow', minScore: 2 } } },
        tenants: {},
      },
    ],
    [
      'a missing parent',
      { defaultPolicy: 'p', policies: { p: { extends: 'q', version: 'p@1' } }, tenants: {} },
    ],
    [
      'a cycle',
      {
        defaultPolicy: 'a',
        policies: { a: { extends: 'b', version: 'a' }, b: { extends: 'a', version: 'b' } },
        tenants: {},
      },
    ],
    ['a tenant naming no policy', { defaultPolicy: 'p', policies: { p: base }, tenants: { acme: 'nope' } }],
    ['no complete root', { defaultPolicy: 'p', policies: { p: { version: 'p@1' } }, tenants: {} }],
  ])('refuses a policy file with %s', (_label, raw) => {
    expect(() => resolvePolicies(raw)).toThrow();
  });
});
