/**
 * Reconciliation with the provider: the ledger's OpenAI charges against the provider's own bill, by UTC
 * day and model, over the whole organisation (the provider's report has no tenant dimension). Each
 * difference is explained where the ledger knows why:
 * - unconfirmed attempts: timeouts and resets the provider may have billed, recorded as exposure;
 * - estimated items: answers that came without usage, charged their pre-flight estimate (never below);
 * - price-table version: items priced with a table other than the current one.
 * Models are compared by family (`gpt-4o-2024-08-06` is `gpt-4o`): unconfirmed attempts only know the
 * model asked for, and the provider names the dated snapshot that answered.
 */

/** What the ledger holds for one UTC day and model, summed over tenants. */
export interface LedgerDayModel {
  readonly day: string;
  readonly model: string;
  readonly costMicroUsd: number;
  /** Of `costMicroUsd`, charged from estimates. */
  readonly estimatedMicroUsd: number;
  readonly exposureMicroUsd: number;
  readonly unconfirmedAttempts: number;
  /** Billed calls: ledger items that are charges (model calls, transcriptions), not cache hits or exposure. */
  readonly calls: number;
  readonly priceTableVersions: readonly string[];
}

/** What the provider billed for one UTC day and model. */
export interface ProviderDayModel {
  readonly day: string;
  readonly model: string;
  /** Summed from the provider's unrounded amounts, then rounded once. */
  readonly costMicroUsd: number;
  readonly requests: number;
}

export type DifferenceCause = 'unconfirmed_attempts' | 'estimated_items' | 'price_table' | 'unexplained';

export interface ReconcileDifference {
  readonly day: string;
  readonly model: string;
  readonly ledgerMicroUsd: number;
  readonly providerMicroUsd: number;
  /** Provider minus ledger. */
  readonly differenceMicroUsd: number;
  readonly ledgerCalls: number;
  readonly providerRequests: number;
  readonly cause: DifferenceCause;
  readonly explanation: string;
}

export interface ReconcileReport {
  readonly matched: boolean;
  readonly ledgerMicroUsd: number;
  readonly providerMicroUsd: number;
  readonly differences: readonly ReconcileDifference[];
}

/** `gpt-4o-2024-08-06` → `gpt-4o`; names without a date stay as they are. */
export function modelFamily(model: string): string {
  return model.replace(/-\d{4}-\d{2}-\d{2}$/, '');
}

/** Rows grouped by UTC day and model family (`<day>|<family>`). */
function byDayAndFamily<T extends { readonly day: string; readonly model: string }>(
  rows: readonly T[],
): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = `${row.day}|${modelFamily(row.model)}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return groups;
}

/**
 * Compares the two sides. Within a tolerance of one micro-USD per request (the provider sums unrounded
 * amounts, the ledger rounds each item up to whole micro-USD) a day and model match.
 */
export function reconcile(
  ledger: readonly LedgerDayModel[],
  provider: readonly ProviderDayModel[],
  currentPriceTableVersion: string,
): ReconcileReport {
  const ledgerBy = byDayAndFamily(ledger);
  const providerBy = byDayAndFamily(provider);

  const differences: ReconcileDifference[] = [];
  for (const key of [...new Set([...ledgerBy.keys(), ...providerBy.keys()])].sort()) {
    const [day = '', model = ''] = key.split('|');
    const ours = ledgerBy.get(key) ?? [];
    const theirs = providerBy.get(key) ?? [];
    const sum = <T>(rows: readonly T[], pick: (row: T) => number) => rows.reduce((s, r) => s + pick(r), 0);
    const ledgerMicroUsd = sum(ours, (r) => r.costMicroUsd);
    const providerMicroUsd = sum(theirs, (r) => r.costMicroUsd);
    const requests = sum(theirs, (r) => r.requests);
    const calls = sum(ours, (r) => r.calls);
    const difference = providerMicroUsd - ledgerMicroUsd;
    const tolerance = Math.max(requests, calls, 1);
    if (Math.abs(difference) <= tolerance) continue;
    const exposure = sum(ours, (r) => r.exposureMicroUsd);
    const attempts = sum(ours, (r) => r.unconfirmedAttempts);
    const estimated = sum(ours, (r) => r.estimatedMicroUsd);
    const versions = [...new Set(ours.flatMap((r) => r.priceTableVersions))].filter(
      (version) => version !== currentPriceTableVersion,
    );
    const explained = explain({
      difference,
      tolerance,
      exposure,
      attempts,
      estimated,
      versions,
      requests,
      calls,
    });
    differences.push({
      day,
      model,
      ledgerMicroUsd,
      providerMicroUsd,
      differenceMicroUsd: difference,
      ledgerCalls: calls,
      providerRequests: requests,
      ...explained,
    });
  }
  return {
    matched: differences.length === 0,
    ledgerMicroUsd: ledger.reduce((s, r) => s + r.costMicroUsd, 0),
    providerMicroUsd: provider.reduce((s, r) => s + r.costMicroUsd, 0),
    differences,
  };
}

function explain(facts: {
  difference: number;
  tolerance: number;
  exposure: number;
  attempts: number;
  estimated: number;
  versions: readonly string[];
  requests: number;
  calls: number;
}): { cause: DifferenceCause; explanation: string } {
  const usd = (microUsd: number) => `$${(microUsd / 1_000_000).toFixed(6)}`;
  // Unconfirmed attempts can only add to the provider's side (each at most its estimate); estimates can
  // only add to ours (they never fall short of the bill). Between the two bounds, the difference is theirs.
  const withinBounds =
    facts.difference <= facts.exposure + facts.tolerance &&
    -facts.difference <= facts.estimated + facts.tolerance;
  const parts = [
    ...(facts.attempts > 0
      ? [
          `${facts.attempts} attempt(s) of unknown outcome (timeouts, resets) were recorded as ${usd(facts.exposure)} of exposure, and the provider answered ${Math.max(0, facts.requests - facts.calls)} request(s) more than the ledger saw`,
        ]
      : []),
    ...(facts.estimated > 0
      ? [`${usd(facts.estimated)} was charged from pre-flight estimates for answers that carried no usage`]
      : []),
  ];
  if (withinBounds && parts.length > 0) {
    return {
      cause: facts.difference > 0 ? 'unconfirmed_attempts' : 'estimated_items',
      explanation: `${parts.join('; ')}: the provider billed ${usd(Math.abs(facts.difference))} ${facts.difference > 0 ? 'more' : 'less'}`,
    };
  }
  if (facts.versions.length > 0) {
    return {
      cause: 'price_table',
      explanation: `items were priced with price table ${facts.versions.join(', ')}, not the current one`,
    };
  }
  return {
    cause: 'unexplained',
    explanation: `no unconfirmed attempt, estimate or older price table accounts for ${usd(Math.abs(facts.difference))}`,
  };
}
