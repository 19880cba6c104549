/**
 * `mediagate reconcile [--month YYYY-MM] [--json]`: the ledger against the provider's bill.
 *
 * The provider side comes from OpenAI's organization Costs API (amounts) and Usage API (request counts):
 * the local simulator's, which bills from its own record of every request it answered, or
 * api.openai.com with an admin key (`OPENAI_ADMIN_KEY`; `OPENAI_BASE_URL` for another endpoint). The
 * ledger side is the local stack's ledger, or a deployment's with `--aws --table NAME`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ledgerKeys } from '../../functions/adapters/dynamodb-ledger.js';
import { PRICE_TABLE_VERSION } from '../../functions/money/prices.js';
import {
  type LedgerDayModel,
  type ProviderDayModel,
  type ReconcileReport,
  reconcile,
} from '../../functions/money/reconcile.js';
import { queryAll } from './costs.js';

/** Ledger kinds the provider bills (or may have billed); AWS services and cache hits are not on its bill. */
const PROVIDER_KINDS = new Set(['model_call', 'transcription', 'unconfirmed_attempt']);

/** Every tenant's ledger items of the month, summed by UTC day and model. */
export async function ledgerByDayAndModel(
  client: DynamoDBClient,
  tableName: string,
  month: string,
): Promise<LedgerDayModel[]> {
  const monthTotals = ledgerKeys.aggregateGsi('', 'month', 'total', month);
  const tenants = (
    await queryAll(client, {
      TableName: tableName,
      IndexName: 'byPeriod',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: monthTotals.gsi1pk } },
    })
  ).map((item) => String(item.tenant));
  const rows = new Map<string, LedgerDayModel & { priceTableVersions: string[] }>();
  for (const tenant of tenants) {
    const items = await queryAll(client, {
      TableName: tableName,
      IndexName: 'byPeriod',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: ledgerKeys.ledgerGsiPk(tenant, month) } },
    });
    for (const item of items) {
      const kind = String(item.kind);
      if (item.type !== 'ledger' || !PROVIDER_KINDS.has(kind)) continue;
      const day = String(item.day);
      const model = String(item.model);
      const row = rows.get(`${day}|${model}`) ?? {
        day,
        model,
        costMicroUsd: 0,
        estimatedMicroUsd: 0,
        exposureMicroUsd: 0,
        unconfirmedAttempts: 0,
        calls: 0,
        priceTableVersions: [],
      };
      const cost = Number(item.costMicroUsd ?? 0);
      const unconfirmed = kind === 'unconfirmed_attempt';
      rows.set(`${day}|${model}`, {
        ...row,
        costMicroUsd: row.costMicroUsd + cost,
        estimatedMicroUsd: row.estimatedMicroUsd + (item.costSource === 'estimate' ? cost : 0),
        exposureMicroUsd: row.exposureMicroUsd + Number(item.exposureMicroUsd ?? 0),
        unconfirmedAttempts: row.unconfirmedAttempts + (unconfirmed ? 1 : 0),
        calls: row.calls + (unconfirmed ? 0 : 1),
        priceTableVersions: unconfirmed
          ? row.priceTableVersions
          : [...new Set([...row.priceTableVersions, String(item.priceTableVersion)])],
      });
    }
  }
  return [...rows.values()];
}

interface OrganizationPage<T> {
  readonly data: readonly {
    readonly start_time: number;
    readonly results: readonly T[];
  }[];
  readonly has_more: boolean;
  readonly next_page: string | null;
}

async function organizationPages<T>(
  baseUrl: string,
  adminKey: string,
  pathAndQuery: string,
): Promise<OrganizationPage<T>['data'][number][]> {
  const buckets: OrganizationPage<T>['data'][number][] = [];
  let page: string | null = null;
  do {
    const url = `${baseUrl.replace(/\/$/, '')}${pathAndQuery}${page ? `&page=${encodeURIComponent(page)}` : ''}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${adminKey}` } });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
    const body = (await response.json()) as OrganizationPage<T>;
    buckets.push(...body.data);
    page = body.has_more ? body.next_page : null;
  } while (page);
  return buckets;
}

/** The provider's bill for the month, by UTC day and model (the model of a cost line item is before its comma). */
export async function providerByDayAndModel(
  baseUrl: string,
  adminKey: string,
  month: string,
): Promise<ProviderDayModel[]> {
  const start = Date.parse(`${month}-01T00:00:00Z`) / 1000;
  const [year, mon] = month.split('-').map(Number);
  const end = Date.UTC(year ?? 1970, mon ?? 1, 1) / 1000;
  const range = `start_time=${start}&end_time=${end}&bucket_width=1d`;
  const [costs, usage] = await Promise.all([
    organizationPages<{ amount: { value: number }; line_item: string | null }>(
      baseUrl,
      adminKey,
      `/organization/costs?${range}&group_by=line_item&limit=31`,
    ),
    organizationPages<{ model: string | null; num_model_requests: number }>(
      baseUrl,
      adminKey,
      `/organization/usage/completions?${range}&group_by=model&limit=31`,
    ),
  ]);
  const rows = new Map<string, { day: string; model: string; usd: number; requests: number }>();
  const row = (day: string, model: string) => {
    const key = `${day}|${model}`;
    const existing = rows.get(key) ?? { day, model, usd: 0, requests: 0 };
    rows.set(key, existing);
    return existing;
  };
  const dayOf = (startTime: number) => new Date(startTime * 1000).toISOString().slice(0, 10);
  for (const bucket of costs) {
    for (const result of bucket.results) {
      const model = (result.line_item ?? 'unknown').split(',')[0]?.trim() ?? 'unknown';
      row(dayOf(bucket.start_time), model).usd += result.amount.value;
    }
  }
  for (const bucket of usage) {
    for (const result of bucket.results) {
      row(dayOf(bucket.start_time), result.model ?? 'unknown').requests += result.num_model_requests;
    }
  }
  return [...rows.values()]
    .filter((r) => r.usd > 0 || r.requests > 0)
    .map((r) => ({
      day: r.day,
      model: r.model,
      costMicroUsd: Math.round(r.usd * 1_000_000),
      requests: r.requests,
    }));
}

export function renderReconcile(report: ReconcileReport, month: string): string {
  const usd = (microUsd: number) => `$${(microUsd / 1_000_000).toFixed(6)}`;
  const lines = [
    `month ${month}: ledger ${usd(report.ledgerMicroUsd)}, provider ${usd(report.providerMicroUsd)} — ${report.matched ? 'matched' : `${report.differences.length} difference(s)`}`,
  ];
  for (const d of report.differences) {
    lines.push(
      `  ${d.day}  ${d.model}: ledger ${usd(d.ledgerMicroUsd)} (${d.ledgerCalls} calls), provider ${usd(d.providerMicroUsd)} (${d.providerRequests} requests)`,
      `      ${d.cause}: ${d.explanation}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export interface ReconcileOptions {
  readonly month: string;
  readonly json: boolean;
  /** A deployment's ledger table (with credentials from the environment) instead of the local stack. */
  readonly awsTable?: string;
}

export async function runReconcile(
  options: ReconcileOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(options.month)) throw new Error('--month must be YYYY-MM');
  const report = options.awsTable
    ? await reconcileDeployment(options.month, options.awsTable)
    : await reconcileLocally(options.month);
  out.write(options.json ? `${JSON.stringify(report)}\n` : renderReconcile(report, options.month));
  return report.matched ? 0 : 1;
}

async function reconcileDeployment(month: string, tableName: string): Promise<ReconcileReport> {
  const adminKey = process.env.OPENAI_ADMIN_KEY;
  if (!adminKey) throw new Error('reconciling with OpenAI needs an admin key: set OPENAI_ADMIN_KEY');
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient({});
  try {
    const baseUrl = process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1';
    const [ledger, provider] = await Promise.all([
      ledgerByDayAndModel(client, tableName, month),
      providerByDayAndModel(baseUrl, adminKey, month),
    ]);
    return reconcile(ledger, provider, PRICE_TABLE_VERSION);
  } finally {
    client.destroy();
  }
}

/** The local stack's ledger against its simulator, which keeps its bill in the state directory. */
async function reconcileLocally(month: string): Promise<ReconcileReport> {
  const [
    { DynamoDBClient },
    { DEFAULT_STATE_DIR, startLocalStack },
    { LOCAL_CREDENTIALS },
    { LOCAL_REGION },
  ] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('../../infra/local/stack.js'),
    import('../../infra/local/s3.js'),
    import('../../infra/local/template.js'),
  ]);
  const stateDir = path.resolve(process.env.MEDIAGATE_STATE_DIR ?? DEFAULT_STATE_DIR);
  if (!fs.existsSync(stateDir)) throw new Error(`no local stack state in ${stateDir}: run something first`);
  const stack = await startLocalStack({ stateDir });
  const client = new DynamoDBClient({
    region: LOCAL_REGION,
    endpoint: stack.endpoints.dynamodb,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    const baseUrl = stack.simulator?.baseUrl ?? process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1';
    const adminKey = stack.simulator ? 'sk-local-simulator-admin' : process.env.OPENAI_ADMIN_KEY;
    if (!adminKey) throw new Error('reconciling with OpenAI needs an admin key: set OPENAI_ADMIN_KEY');
    const [ledger, provider] = await Promise.all([
      ledgerByDayAndModel(client, stack.environment.LEDGER_TABLE ?? '', month),
      providerByDayAndModel(baseUrl, adminKey, month),
    ]);
    return reconcile(ledger, provider, PRICE_TABLE_VERSION);
  } finally {
    client.destroy();
    await stack.stop();
  }
}
