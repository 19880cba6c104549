/**
 * Which rasterised formats (PDF, HEIC) a tenant's policy accepts, read straight from `policies.json`
 * without the policy schema: the presign and ValidateAndStrip functions need only these two flags, and
 * importing `policy.ts` would add zod to their bundles and cold starts. `policy.ts` validates the same
 * file (including `acceptPdf`/`acceptHeic`) wherever DLP runs, and its tests fail on a malformed one.
 */
import policiesJson from './policies.json' with { type: 'json' };

interface PolicyEntry {
  readonly extends?: string;
  readonly acceptPdf?: boolean;
  readonly acceptHeic?: boolean;
}

const file = policiesJson as {
  readonly defaultPolicy: string;
  readonly policies: Readonly<Record<string, PolicyEntry>>;
  readonly tenants: Readonly<Record<string, string>>;
};

/** A flag from the policy or the nearest policy it extends that sets it; true when none does. */
function flag(name: string, key: 'acceptPdf' | 'acceptHeic', seen: readonly string[] = []): boolean {
  const entry = file.policies[name];
  if (!entry || seen.includes(name)) return true;
  return entry[key] ?? (entry.extends ? flag(entry.extends, key, [...seen, name]) : true);
}

/**
 * Which rasterised upload formats a tenant's policy takes: the policy the tenant registry names for it
 * (`named`) when there is one, as `policyForTenant` does, else the file's mapping.
 */
export function uploadTypesForTenant(
  tenant: string,
  named?: string,
): { readonly pdf: boolean; readonly heic: boolean } {
  const name = named ?? file.tenants[tenant] ?? file.defaultPolicy;
  return { pdf: flag(name, 'acceptPdf'), heic: flag(name, 'acceptHeic') };
}
