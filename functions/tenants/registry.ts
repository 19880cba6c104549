/**
 * Tenants as data. Each tenant has one record in the registry (the runtime-state table, see
 * functions/adapters/dynamodb-tenant-registry.ts) that operators change at run time with
 * `mediagate tenants set|suspend|resume`: tier, caps, soft thresholds, DLP policy, allowed tasks, status,
 * rate limits, the IAM principals bound to it, and who changed it and when.
 *
 * What an item sees is the record laid over its tier's defaults (functions/money/budgets.json, the seed):
 * a tenant with no record gets the seed's entry for it, or else the default tier. Readers cache a resolved
 * tenant for a short time (`cacheMs`, 30 s in AWS), so a change reaches the next item without a deploy.
 */
import * as z from 'zod/mini';
import { isDlpPolicyName } from '../dlp/policy.js';
import { findTask } from '../model/tasks.js';
import budgetsJson from '../money/budgets.json' with { type: 'json' };
import type { TenantRecord, TenantRegistryStore } from '../ports.js';

export const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

const microUsd = () => z.int().check(z.nonnegative());

const tierSchema = z.object({
  dailyCapMicroUsd: microUsd(),
  monthlyCapMicroUsd: microUsd(),
  requestsPerMinute: z.optional(z.number().check(z.positive())),
  modelTokensPerMinute: z.optional(z.number().check(z.positive())),
});

const seedSchema = z
  .object({
    version: z.string().check(z.minLength(1)),
    effectiveDate: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/)),
    thresholdsPercent: z.array(z.int().check(z.gte(1), z.lte(100))).check(z.minLength(1)),
    reservationTtlSeconds: z.int().check(z.gte(1)),
    defaultTier: z.string().check(z.minLength(1)),
    tiers: z.record(z.string(), tierSchema),
    tenants: z.record(
      z.string(),
      z.object({
        tier: z.optional(z.string()),
        dailyCapMicroUsd: z.optional(microUsd()),
        monthlyCapMicroUsd: z.optional(microUsd()),
      }),
    ),
  })
  .check(
    z.superRefine((seed, ctx) => {
      for (const tier of [seed.defaultTier, ...Object.values(seed.tenants).map((t) => t.tier)]) {
        if (tier !== undefined && !Object.hasOwn(seed.tiers, tier))
          ctx.addIssue({ code: 'custom', message: `unknown tier ${tier}` });
      }
    }),
  );

/** The tier defaults and the seed tenants (functions/money/budgets.json): code, changed by a deploy. */
export type TenantSeed = z.infer<typeof seedSchema>;

export function parseTenantSeed(raw: unknown): TenantSeed {
  return seedSchema.parse(raw);
}

export const TENANT_SEED: TenantSeed = parseTenantSeed(budgetsJson);

/** A tenant as every step applies it: its record over its tier's defaults. */
export interface EffectiveTenant {
  readonly tenant: string;
  readonly tier: string;
  readonly status: 'active' | 'suspended';
  readonly dailyCapMicroUsd: number;
  readonly monthlyCapMicroUsd: number;
  readonly thresholdsPercent: readonly number[];
  /** Undefined: the DLP policy file's mapping (functions/dlp/policies.json) decides. */
  readonly dlpPolicy?: string;
  /** Undefined: every task of the catalogue. */
  readonly allowedTasks?: readonly string[];
  /** Undefined: no per-tenant limit. */
  readonly requestsPerMinute?: number;
  readonly modelTokensPerMinute?: number;
  /** `registry` when a record exists, `seed` for a seed tenant, `default` for an unknown one. */
  readonly source: 'registry' | 'seed' | 'default';
  /** The record's version (0 without a record): which configuration the item ran under. */
  readonly version: number;
}

export function resolveTenant(
  seed: TenantSeed,
  tenant: string,
  record: TenantRecord | undefined,
): EffectiveTenant {
  const seeded = Object.hasOwn(seed.tenants, tenant) ? seed.tenants[tenant] : undefined;
  const tier = record?.tier ?? seeded?.tier ?? seed.defaultTier;
  const base = seed.tiers[tier] ?? seed.tiers[seed.defaultTier];
  if (!base) throw new Error(`tenant seed ${seed.version}: no tier ${tier} and no default tier`);
  const rpm = record?.requestsPerMinute ?? base.requestsPerMinute;
  const tpm = record?.modelTokensPerMinute ?? base.modelTokensPerMinute;
  return {
    tenant,
    tier,
    status: record?.status ?? 'active',
    dailyCapMicroUsd: record?.dailyCapMicroUsd ?? seeded?.dailyCapMicroUsd ?? base.dailyCapMicroUsd,
    monthlyCapMicroUsd: record?.monthlyCapMicroUsd ?? seeded?.monthlyCapMicroUsd ?? base.monthlyCapMicroUsd,
    thresholdsPercent: [...(record?.thresholdsPercent ?? seed.thresholdsPercent)].sort((a, b) => a - b),
    ...(record?.dlpPolicy ? { dlpPolicy: record.dlpPolicy } : {}),
    ...(record?.allowedTasks ? { allowedTasks: record.allowedTasks } : {}),
    ...(rpm !== undefined ? { requestsPerMinute: rpm } : {}),
    ...(tpm !== undefined ? { modelTokensPerMinute: tpm } : {}),
    source: record ? 'registry' : seeded ? 'seed' : 'default',
    version: record?.version ?? 0,
  };
}

/** The changes `mediagate tenants set` accepts; `null` clears a field back to the tier's default. */
export interface TenantChange {
  tier?: string;
  status?: 'active' | 'suspended';
  dailyCapMicroUsd?: number | null;
  monthlyCapMicroUsd?: number | null;
  thresholdsPercent?: number[] | null;
  dlpPolicy?: string | null;
  allowedTasks?: string[] | null;
  requestsPerMinute?: number | null;
  modelTokensPerMinute?: number | null;
  /** IAM principal ARNs to bind to (add) or unbind from (remove) this tenant. */
  addPrincipals?: string[];
  removePrincipals?: string[];
}

/** What an operator sets on a tenant (`TenantChange`'s plain fields). */
const TENANT_SETTINGS = [
  'tier',
  'status',
  'dailyCapMicroUsd',
  'monthlyCapMicroUsd',
  'thresholdsPercent',
  'dlpPolicy',
  'allowedTasks',
  'requestsPerMinute',
  'modelTokensPerMinute',
] as const;

/** Every field of a stored TenantRecord: the settings, the bound principals and the audit fields. */
export const TENANT_RECORD_FIELDS = [
  'tenant',
  ...TENANT_SETTINGS,
  'principals',
  'version',
  'updatedAt',
  'updatedBy',
] as const;

const PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[\w+=,.@/-]+$/;

/** Applies a change to a record (or a fresh one), checking every field; throws on a bad value. */
export function applyTenantChange(
  seed: TenantSeed,
  tenant: string,
  current: TenantRecord | undefined,
  change: TenantChange,
  by: { actor: string; at: string },
): TenantRecord {
  if (!TENANT_ID.test(tenant)) throw new Error('tenant must match [a-z0-9][a-z0-9-]{0,62}');
  if (change.tier !== undefined && !Object.hasOwn(seed.tiers, change.tier))
    throw new Error(`unknown tier ${change.tier}; tiers: ${Object.keys(seed.tiers).join(', ')}`);
  for (const [name, value] of [
    ['daily cap', change.dailyCapMicroUsd],
    ['monthly cap', change.monthlyCapMicroUsd],
  ] as const) {
    if (value !== undefined && value !== null && !(Number.isSafeInteger(value) && value >= 0))
      throw new Error(`the ${name} must be a non-negative whole number of micro-dollars`);
  }
  for (const [name, value] of [
    ['rpm', change.requestsPerMinute],
    ['tpm', change.modelTokensPerMinute],
  ] as const) {
    if (value !== undefined && value !== null && !(Number.isFinite(value) && value > 0))
      throw new Error(`${name} must be a positive number`);
  }
  if (change.thresholdsPercent?.some((p) => !Number.isInteger(p) || p < 1 || p > 100))
    throw new Error('thresholds are whole percentages from 1 to 100');
  if (change.dlpPolicy && !isDlpPolicyName(change.dlpPolicy))
    throw new Error(`no DLP policy named ${change.dlpPolicy} (functions/dlp/policies.json)`);
  for (const task of change.allowedTasks ?? [])
    if (!findTask(task)) throw new Error(`no task named ${task} in the catalogue`);
  for (const arn of change.addPrincipals ?? [])
    if (!PRINCIPAL_ARN.test(arn)) throw new Error(`not an IAM principal ARN: ${arn}`);

  const next: Record<string, unknown> = { ...current, tenant };
  for (const field of TENANT_SETTINGS) {
    const value = change[field];
    if (value === null) delete next[field];
    else if (value !== undefined) next[field] = value;
  }
  const principals = new Set(current?.principals ?? []);
  for (const arn of change.addPrincipals ?? []) principals.add(arn);
  for (const arn of change.removePrincipals ?? []) principals.delete(arn);
  return {
    ...(next as Omit<TenantRecord, 'status' | 'version' | 'updatedAt' | 'updatedBy' | 'principals'>),
    tier: (next.tier as string | undefined) ?? current?.tier ?? resolveTenant(seed, tenant, undefined).tier,
    status: (next.status as TenantRecord['status'] | undefined) ?? 'active',
    principals: [...principals].sort(),
    version: (current?.version ?? 0) + 1,
    updatedAt: by.at,
    updatedBy: by.actor,
  };
}

export interface TenantDirectory {
  /** The tenant as the next item applies it (cached for at most `cacheMs`). */
  resolve(tenant: string): Promise<EffectiveTenant>;
  /** The tenant an IAM principal is bound to in the registry, if any (cached like `resolve`). */
  tenantOfPrincipal(principalArn: string): Promise<string | undefined>;
}

/**
 * The registry as the steps read it: a small read-through cache in front of the store, so a burst of
 * items costs one read per tenant per `cacheMs`, and a change is seen within `cacheMs`.
 */
export function createTenantDirectory(deps: {
  store: Pick<TenantRegistryStore, 'get' | 'tenantOfPrincipal'>;
  seed?: TenantSeed;
  cacheMs: number;
  now?: () => number;
}): TenantDirectory {
  const seed = deps.seed ?? TENANT_SEED;
  const now = deps.now ?? Date.now;
  const tenants = new Map<string, { at: number; value: Promise<EffectiveTenant> }>();
  const principals = new Map<string, { at: number; value: Promise<string | undefined> }>();
  function cached<T>(
    map: Map<string, { at: number; value: Promise<T> }>,
    key: string,
    load: () => Promise<T>,
  ) {
    const hit = map.get(key);
    if (hit && now() - hit.at < deps.cacheMs) return hit.value;
    const value = load();
    map.set(key, { at: now(), value });
    // A failed read is not remembered: the next item asks again.
    value.catch(() => map.delete(key));
    return value;
  }
  return {
    resolve: (tenant) =>
      cached(tenants, tenant, async () => resolveTenant(seed, tenant, await deps.store.get(tenant))),
    tenantOfPrincipal: (arn) => cached(principals, arn, () => deps.store.tenantOfPrincipal(arn)),
  };
}
