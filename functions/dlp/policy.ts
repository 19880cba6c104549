/**
 * DLP policy per tenant: what happens to each PII type above its score threshold. The policies are
 * versioned config in the repo (`policies.json`, checked here when the module loads); a policy's
 * `version` changes whenever one of its rules does and is recorded with every decision, so an audit
 * can tell which rules applied.
 */
import * as z from 'zod/mini';
import type { PiiEntityType } from '../ports.js';
import policiesJson from './policies.json' with { type: 'json' };

export type DlpAction = 'allow' | 'redact' | 'block';

export interface DlpRule {
  action: DlpAction;
  minScore: number;
}

export interface DlpPolicy {
  version: string;
  rules: Partial<Record<PiiEntityType, DlpRule>>;
  defaultRule: DlpRule;
  /** What happens to audio whose speech could not be transcribed and scanned. */
  unscannedAudio: 'block' | 'allow';
  /**
   * Language of the tenant's text and speech, passed to the detector and the transcriber: `en`, `es`
   * (the two Comprehend's PII detection reads) or `auto` (Comprehend DetectDominantLanguage per text,
   * Transcribe language identification). Offline recognizers are English/US whatever it says.
   * @default 'en'
   */
  language: DlpLanguage;
  /**
   * Regions (ISO 3166 alpha-2) whose national phone numbers, written without a country code, the
   * local recognizers read; numbers with a country code are read in every region.
   * @default ['US']
   */
  phoneRegions: readonly string[];
  /**
   * Whether the tenant takes PDFs and HEIC/HEIF photos (each rasterised on the way in): the presigned
   * POST accepts their types, and ValidateAndStrip refuses them (UNSUPPORTED_TYPE) when not.
   * @default true for both
   */
  acceptPdf: boolean;
  acceptHeic: boolean;
}

export type DlpLanguage = 'en' | 'es' | 'auto';

const ENTITY_TYPES = [
  'CREDIT_DEBIT_NUMBER',
  'SSN',
  'IBAN',
  'EMAIL',
  'PHONE',
  'IP_ADDRESS',
  'PASSPORT_NUMBER',
  'DRIVER_ID',
  'DATE_OF_BIRTH',
  'BANK_ROUTING',
  'AWS_ACCESS_KEY',
  'AWS_SECRET_KEY',
  'NAME',
  'ADDRESS',
  'OTHER',
] as const satisfies readonly PiiEntityType[];

const rule = z.strictObject({
  action: z.enum(['allow', 'redact', 'block']),
  minScore: z.number().check(z.gte(0), z.lte(1)),
});

const policyEntry = z.strictObject({
  extends: z.optional(z.string()),
  version: z.string().check(z.minLength(1)),
  description: z.optional(z.string()),
  defaultRule: z.optional(rule),
  unscannedAudio: z.optional(z.enum(['block', 'allow'])),
  language: z.optional(z.enum(['en', 'es', 'auto'])),
  phoneRegions: z.optional(z.array(z.string().check(z.regex(/^[A-Z]{2}$/))).check(z.minLength(1))),
  rules: z.optional(z.partialRecord(z.enum(ENTITY_TYPES), rule)),
  acceptPdf: z.optional(z.boolean()),
  acceptHeic: z.optional(z.boolean()),
});

const policyFile = z.strictObject({
  notes: z.optional(z.string()),
  defaultPolicy: z.string().check(z.minLength(1)),
  policies: z.record(z.string(), policyEntry),
  tenants: z.record(z.string(), z.string()),
});

/** Resolves `extends` chains into complete policies; a missing parent, a cycle or a gap is an error. */
export function resolvePolicies(raw: unknown): {
  byName: Map<string, DlpPolicy>;
  tenants: Map<string, string>;
  fallback: string;
} {
  const file = policyFile.parse(raw);
  const byName = new Map<string, DlpPolicy>();
  const resolve = (name: string, seen: readonly string[]): DlpPolicy => {
    const done = byName.get(name);
    if (done) return done;
    const entry = file.policies[name];
    if (!entry) throw new Error(`DLP policy "${name}" is not defined`);
    if (seen.includes(name))
      throw new Error(`DLP policies extend in a cycle: ${[...seen, name].join(' -> ')}`);
    const parent = entry.extends ? resolve(entry.extends, [...seen, name]) : undefined;
    const defaultRule = entry.defaultRule ?? parent?.defaultRule;
    const unscannedAudio = entry.unscannedAudio ?? parent?.unscannedAudio;
    if (!defaultRule || !unscannedAudio)
      throw new Error(`DLP policy "${name}" needs defaultRule and unscannedAudio`);
    const policy: DlpPolicy = {
      version: entry.version,
      rules: { ...parent?.rules, ...entry.rules },
      defaultRule,
      unscannedAudio,
      language: entry.language ?? parent?.language ?? 'en',
      phoneRegions: entry.phoneRegions ?? parent?.phoneRegions ?? ['US'],
      acceptPdf: entry.acceptPdf ?? parent?.acceptPdf ?? true,
      acceptHeic: entry.acceptHeic ?? parent?.acceptHeic ?? true,
    };
    byName.set(name, policy);
    return policy;
  };
  for (const name of Object.keys(file.policies)) resolve(name, []);
  for (const [tenant, name] of Object.entries(file.tenants)) {
    if (!byName.has(name)) throw new Error(`tenant "${tenant}" names an undefined DLP policy "${name}"`);
  }
  if (!byName.has(file.defaultPolicy))
    throw new Error(`the default DLP policy "${file.defaultPolicy}" is not defined`);
  return { byName, tenants: new Map(Object.entries(file.tenants)), fallback: file.defaultPolicy };
}

const POLICIES = resolvePolicies(policiesJson);

/** Whether a policy of that name is defined (the tenant registry checks a policy id before storing it). */
export function isDlpPolicyName(name: string): boolean {
  return POLICIES.byName.has(name);
}

/**
 * The policy of a tenant: the one its registry record names (`named`, carried by the item's document), else
 * the file's mapping, else the default.
 */
export function policyForTenant(tenant: string, named?: string): DlpPolicy {
  if (named !== undefined && !POLICIES.byName.has(named))
    throw new Error(`DLP policy "${named}" is not defined`);
  const policy = POLICIES.byName.get(named ?? POLICIES.tenants.get(tenant) ?? POLICIES.fallback);
  if (!policy) throw new Error('DLP policies failed to load');
  // A copy, so no caller can change the policy the next item gets.
  return structuredClone(policy);
}

/** The rule that applies to a type under a policy. */
export function ruleFor(policy: DlpPolicy, type: PiiEntityType): DlpRule {
  return policy.rules[type] ?? policy.defaultRule;
}
