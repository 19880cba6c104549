/**
 * `mediagate costs`: the finance view. It reads only the aggregates the ledger keeps in the same
 * transaction as each ledger item (so it agrees with the ledger by construction) and the same keys
 * docs/finance.md tells finance to query with the AWS CLI. Money is summed in integer micro-USD and
 * printed in USD with all six decimals, so nothing is rounded away.
 *
 *   mediagate costs [--tenant ID] [--month YYYY-MM | --day YYYY-MM-DD] [--by task|model|day]
 *                   [--format table|csv|json] [--html FILE]
 */
import { writeFile } from 'node:fs/promises';
import { type DynamoDBClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ledgerKeys, TOKEN_BUCKETS } from '../../functions/adapters/dynamodb-ledger.js';

export type CostsBy = 'tenant' | 'task' | 'model' | 'day';
export type CostsFormat = 'table' | 'csv' | 'json';

export interface CostsOptions {
  readonly tenant?: string;
  readonly month?: string;
  readonly day?: string;
  readonly by: CostsBy;
  readonly format: CostsFormat;
  readonly html?: string;
}

type Tokens = Record<(typeof TOKEN_BUCKETS)[number], number>;

export interface CostRow {
  readonly tenant: string;
  /** The task, model or day of the row; null when rows are per tenant. */
  readonly key: string | null;
  readonly costMicroUsd: number;
  readonly costUsd: string;
  readonly items: number;
  readonly estimateMicroUsd: number;
  /** Of `costMicroUsd`, what was charged from a pre-flight estimate because the answer had no usage. */
  readonly estimatedMicroUsd: number;
  /** Attempts of unknown outcome (timeouts, resets): not charged, but the provider may bill them. */
  readonly unconfirmedAttempts: number;
  readonly exposureMicroUsd: number;
  readonly tokens: Tokens;
}

export interface CostsReport {
  readonly period: { readonly kind: 'month' | 'day'; readonly value: string };
  readonly tenant: string | null;
  readonly by: CostsBy;
  readonly totalMicroUsd: number;
  readonly totalUsd: string;
  /** Of the total, charged from estimates (answers without usage). */
  readonly estimatedMicroUsd: number;
  /** Not in the total: what unconfirmed attempts would cost if the provider billed them all. */
  readonly exposureMicroUsd: number;
  /** Ledger items behind the figures. */
  readonly items: number;
  readonly breakdown: readonly CostRow[];
}

const USAGE =
  'usage: mediagate costs [--tenant ID] [--month YYYY-MM | --day YYYY-MM-DD] [--by task|model|day] ' +
  '[--format table|csv|json] [--html FILE]';

class UsageError extends Error {}

/** Exact USD text of an integer micro-USD amount. */
export function formatUsd(microUsd: number): string {
  const sign = microUsd < 0 ? '-' : '';
  const abs = Math.abs(microUsd);
  return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, '0')}`;
}

export function parseCostsArgs(argv: readonly string[], now: Date = new Date()): CostsOptions {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const match = /^--(tenant|month|day|by|format|html)(?:=(.*))?$/.exec(arg);
    if (!match?.[1]) throw new UsageError(`unknown argument ${arg}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined || value === '') throw new UsageError(`--${match[1]} needs a value`);
    if (values[match[1]] !== undefined) throw new UsageError(`--${match[1]} given twice`);
    values[match[1]] = value;
  }
  if (values.month && values.day) throw new UsageError('give --month or --day, not both');
  if (values.month && !/^\d{4}-(0[1-9]|1[0-2])$/.test(values.month))
    throw new UsageError('--month must be YYYY-MM');
  if (values.day && !/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(values.day)) {
    throw new UsageError('--day must be YYYY-MM-DD');
  }
  if (values.tenant?.includes('#')) throw new UsageError('--tenant must not contain "#"');
  const by = (values.by ?? 'tenant') as CostsBy;
  if (!['tenant', 'task', 'model', 'day'].includes(by))
    throw new UsageError('--by must be task, model or day');
  const format = (values.format ?? 'table') as CostsFormat;
  if (!['table', 'csv', 'json'].includes(format)) throw new UsageError('--format must be table, csv or json');
  return {
    ...(values.tenant ? { tenant: values.tenant } : {}),
    ...(values.day ? { day: values.day } : { month: values.month ?? now.toISOString().slice(0, 7) }),
    by,
    format,
    ...(values.html ? { html: values.html } : {}),
  };
}

/** Every item of a query, page after page. */
export async function queryAll(
  client: DynamoDBClient,
  input: QueryCommandInput,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: QueryCommandInput['ExclusiveStartKey'];
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    for (const raw of page.Items ?? []) items.push(unmarshall(raw));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The one query (base table for one tenant, the byPeriod index for all) that answers the request. */
function aggregateQuery(tableName: string, options: CostsOptions): QueryCommandInput {
  const period = options.day ? 'day' : 'month';
  const periodKey = options.day ?? options.month ?? '';
  const month = periodKey.slice(0, 7);
  // A per-day breakdown of a single day is that day's total.
  const dim = options.by === 'task' ? 'task' : options.by === 'model' ? 'model' : 'total';
  const perDay = options.by === 'day' || period === 'day';
  if (options.tenant) {
    const prefix =
      dim === 'total'
        ? perDay
          ? ledgerKeys.aggregateSk('day', 'total', periodKey)
          : ledgerKeys.aggregateSk('month', 'total', periodKey)
        : `${ledgerKeys.aggregateSk(period, dim, periodKey, '')}`;
    return {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': { S: ledgerKeys.tenantPk(options.tenant) },
        ':prefix': { S: prefix },
      },
      ConsistentRead: true,
    };
  }
  if (dim === 'total' && perDay) {
    const gsi = ledgerKeys.aggregateGsi('', 'day', 'total', period === 'day' ? periodKey : `${month}-01`);
    return {
      TableName: tableName,
      IndexName: 'byPeriod',
      KeyConditionExpression:
        period === 'day' ? 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)' : 'gsi1pk = :pk',
      ExpressionAttributeValues: {
        ':pk': { S: gsi.gsi1pk },
        ...(period === 'day' ? { ':prefix': { S: `${periodKey}#` } } : {}),
      },
    };
  }
  const gsi = ledgerKeys.aggregateGsi('', period, dim, periodKey, '');
  return {
    TableName: tableName,
    IndexName: 'byPeriod',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': { S: gsi.gsi1pk } },
  };
}

function num(value: unknown): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) throw new Error(`aggregate holds a non-integer amount: ${String(value)}`);
  return n;
}

export async function buildCostsReport(
  client: DynamoDBClient,
  tableName: string,
  options: CostsOptions,
): Promise<CostsReport> {
  const items = await queryAll(client, aggregateQuery(tableName, options));
  const keyOf = (item: Record<string, unknown>): string | null => {
    if (options.by === 'task' || options.by === 'model') return String(item[options.by] ?? '');
    if (options.by === 'day') return String(item.periodKey ?? '');
    return null;
  };
  const rows = items
    .filter((item) => item.type === 'aggregate')
    .map((item): CostRow => {
      const costMicroUsd = num(item.costMicroUsd);
      return {
        tenant: String(item.tenant),
        key: keyOf(item),
        costMicroUsd,
        costUsd: formatUsd(costMicroUsd),
        items: num(item.items),
        estimateMicroUsd: num(item.estimateMicroUsd),
        estimatedMicroUsd: num(item.estimatedCostMicroUsd),
        unconfirmedAttempts: num(item.kind_unconfirmed_attempt),
        exposureMicroUsd: num(item.exposureMicroUsd),
        tokens: Object.fromEntries(TOKEN_BUCKETS.map((b) => [b, num(item[b])])) as Tokens,
      };
    })
    .sort((a, b) => a.tenant.localeCompare(b.tenant) || (a.key ?? '').localeCompare(b.key ?? ''));
  const totalMicroUsd = rows.reduce((sum, r) => sum + r.costMicroUsd, 0);
  return {
    period: options.day ? { kind: 'day', value: options.day } : { kind: 'month', value: options.month ?? '' },
    tenant: options.tenant ?? null,
    by: options.by,
    totalMicroUsd,
    totalUsd: formatUsd(totalMicroUsd),
    estimatedMicroUsd: rows.reduce((sum, r) => sum + r.estimatedMicroUsd, 0),
    exposureMicroUsd: rows.reduce((sum, r) => sum + r.exposureMicroUsd, 0),
    items: rows.reduce((sum, r) => sum + r.items, 0),
    breakdown: rows,
  };
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv(report: CostsReport): string {
  const header = [
    'tenant',
    ...(report.by === 'tenant' ? [] : [report.by]),
    'cost_usd',
    'cost_micro_usd',
    'items',
  ];
  header.push(
    'estimate_micro_usd',
    'estimated_cost_micro_usd',
    'unconfirmed_attempts',
    'exposure_micro_usd',
    ...TOKEN_BUCKETS.map((b) => b.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)),
  );
  const lines = [header.join(',')];
  for (const row of report.breakdown) {
    lines.push(
      [
        row.tenant,
        ...(report.by === 'tenant' ? [] : [row.key ?? '']),
        row.costUsd,
        row.costMicroUsd,
        row.items,
        row.estimateMicroUsd,
        row.estimatedMicroUsd,
        row.unconfirmedAttempts,
        row.exposureMicroUsd,
        ...TOKEN_BUCKETS.map((b) => row.tokens[b]),
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function renderTable(report: CostsReport): string {
  const head = [
    'TENANT',
    ...(report.by === 'tenant' ? [] : [report.by.toUpperCase()]),
    'ITEMS',
    'USD',
    'MICRO-USD',
  ];
  const body = report.breakdown.map((r) => [
    r.tenant,
    ...(report.by === 'tenant' ? [] : [r.key ?? '']),
    String(r.items),
    r.costUsd,
    String(r.costMicroUsd),
  ]);
  const total = [
    'TOTAL',
    ...(report.by === 'tenant' ? [] : ['']),
    String(report.items),
    report.totalUsd,
    String(report.totalMicroUsd),
  ];
  const all = [head, ...body, total];
  const widths = head.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  const numeric = (c: number) => c >= head.length - 3;
  const line = (row: string[]) =>
    row
      .map((cell, c) => (numeric(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  const title = `${report.period.kind} ${report.period.value}${report.tenant ? `, tenant ${report.tenant}` : ', all tenants'}`;
  const rule = '-'.repeat(widths.reduce((s, w) => s + w, 0) + 2 * (widths.length - 1));
  // Apart from the charges: what of them came from estimates, and what may yet be billed (not charged).
  const notes = [
    ...(report.estimatedMicroUsd > 0
      ? [
          `of which charged from estimates (answers without usage): USD ${formatUsd(report.estimatedMicroUsd)}`,
        ]
      : []),
    ...(report.exposureMicroUsd > 0
      ? [
          `unconfirmed exposure, not charged (${report.breakdown.reduce((s, r) => s + r.unconfirmedAttempts, 0)} attempts of unknown outcome): USD ${formatUsd(report.exposureMicroUsd)}`,
        ]
      : []),
  ];
  return `${title}\n${[line(head), rule, ...body.map(line), rule, line(total), ...notes].join('\n')}\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
];

/** One offline page: stacked bars of spend per day per tenant (inline SVG), then the figures. */
export function renderHtml(daily: CostsReport, summary: CostsReport): string {
  const month = daily.period.value.slice(0, 7);
  const [year, mon] = month.split('-').map(Number);
  const daysInMonth = new Date(Date.UTC(year ?? 1970, mon ?? 1, 0)).getUTCDate();
  const days = Array.from({ length: daysInMonth }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
  const tenants = [...new Set(daily.breakdown.map((r) => r.tenant))].sort();
  const spend = new Map(daily.breakdown.map((r) => [`${r.tenant}|${r.key}`, r.costMicroUsd]));
  const dayTotals = days.map((d) => tenants.reduce((s, t) => s + (spend.get(`${t}|${d}`) ?? 0), 0));
  const max = Math.max(1, ...dayTotals);
  const width = 960;
  const height = 360;
  const left = 90;
  const bottom = 40;
  const top = 20;
  const plotH = height - bottom - top;
  const barW = (width - left - 20) / days.length;
  const bars: string[] = [];
  days.forEach((day, i) => {
    let y = height - bottom;
    tenants.forEach((tenant, t) => {
      const value = spend.get(`${tenant}|${day}`) ?? 0;
      if (value === 0) return;
      const h = (value / max) * plotH;
      y -= h;
      bars.push(
        `<rect x="${(left + i * barW + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barW - 2).toFixed(1)}" ` +
          `height="${h.toFixed(1)}" fill="${PALETTE[t % PALETTE.length]}"><title>${escapeHtml(tenant)} ${day}: $${formatUsd(value)}</title></rect>`,
      );
    });
    if (i % 5 === 0 || i === days.length - 1) {
      bars.push(
        `<text x="${(left + i * barW + barW / 2).toFixed(1)}" y="${height - bottom + 16}" font-size="11" text-anchor="middle">${day.slice(8)}</text>`,
      );
    }
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = height - bottom - f * plotH;
    return (
      `<line x1="${left}" x2="${width - 20}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#ddd"/>` +
      `<text x="${left - 6}" y="${(y + 4).toFixed(1)}" font-size="11" text-anchor="end">$${formatUsd(Math.round(f * max))}</text>`
    );
  });
  const legend = tenants
    .map(
      (t, i) =>
        `<span style="display:inline-block;margin-right:1em"><span style="display:inline-block;width:0.9em;height:0.9em;background:${PALETTE[i % PALETTE.length]}"></span> ${escapeHtml(t)}</span>`,
    )
    .join('');
  const rows = summary.breakdown
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.tenant)}</td>${summary.by === 'tenant' ? '' : `<td>${escapeHtml(r.key ?? '')}</td>`}<td class="n">${r.items}</td><td class="n">$${r.costUsd}</td><td class="n">${r.costMicroUsd}</td></tr>`,
    )
    .join('\n');
  const scope = summary.tenant ? `tenant ${escapeHtml(summary.tenant)}` : 'all tenants';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>mediagate costs ${escapeHtml(summary.period.value)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{padding:0.3em 0.8em;border-bottom:1px solid #ddd;text-align:left}
.n{text-align:right;font-variant-numeric:tabular-nums}
</style>
</head>
<body>
<h1>mediagate costs — ${escapeHtml(summary.period.kind)} ${escapeHtml(summary.period.value)}, ${scope}</h1>
<p>Total <strong>$${summary.totalUsd}</strong> (${summary.totalMicroUsd} µUSD) over ${summary.items} ledger items.</p>
<h2>Spend per day per tenant, ${escapeHtml(month)}</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="spend per day per tenant">
<rect width="${width}" height="${height}" fill="#fff"/>
${ticks.join('\n')}
${bars.join('\n')}
</svg>
<p>${legend}</p>
<h2>Breakdown${summary.by === 'tenant' ? '' : ` by ${escapeHtml(summary.by)}`}</h2>
<table>
<tr><th>Tenant</th>${summary.by === 'tenant' ? '' : `<th>${escapeHtml(summary.by)}</th>`}<th class="n">Items</th><th class="n">USD</th><th class="n">µUSD</th></tr>
${rows}
<tr><th>Total</th>${summary.by === 'tenant' ? '' : '<th></th>'}<th class="n">${summary.items}</th><th class="n">$${summary.totalUsd}</th><th class="n">${summary.totalMicroUsd}</th></tr>
</table>
</body>
</html>
`;
}

export async function runCostsCommand(
  argv: string[],
  deps: {
    client: DynamoDBClient;
    tableName: string;
    out?: NodeJS.WritableStream;
    /** Where usage errors go. @default process.stderr */
    err?: NodeJS.WritableStream;
    now?: () => Date;
  },
): Promise<number> {
  const out = deps.out ?? process.stdout;
  let options: CostsOptions;
  try {
    options = parseCostsArgs(argv, deps.now?.() ?? new Date());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    (deps.err ?? process.stderr).write(`mediagate costs: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  const report = await buildCostsReport(deps.client, deps.tableName, options);
  if (options.format === 'json') out.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (options.format === 'csv') out.write(renderCsv(report));
  else out.write(renderTable(report));
  if (options.html) {
    const month = (options.day ?? options.month ?? '').slice(0, 7);
    const daily = await buildCostsReport(deps.client, deps.tableName, {
      ...(options.tenant ? { tenant: options.tenant } : {}),
      month,
      by: 'day',
      format: 'json',
    });
    await writeFile(options.html, renderHtml(daily, report));
    if (options.format === 'table') out.write(`wrote ${options.html}\n`);
  }
  return 0;
}
