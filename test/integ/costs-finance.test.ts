import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CostsReport, runCostsCommand } from '../../cli/commands/costs.js';
import { createDynamoLedger } from '../../functions/adapters/dynamodb-ledger.js';
import type { LedgerEntry } from '../../functions/ports.js';
import { ensureLedgerTable, type LocalDynamo, startLocalDynamo } from '../../infra/local/dynamodb.js';

const run = promisify(execFile);
const TABLE = 'mediagate-ledger';
const MONTH = '2026-11';
const DAY = '2026-11-05';
const TENANT = 'acme';

/** The statements in docs/finance.md, by their `finance-query=` name. */
async function financeStatements(): Promise<Map<string, string>> {
  const doc = await readFile(new URL('../../docs/finance.md', import.meta.url), 'utf8');
  const statements = new Map<string, string>();
  for (const match of doc.matchAll(/```sh finance-query=([\w-]+)\n([\s\S]*?)```/g)) {
    if (match[1] && match[2]) statements.set(match[1], match[2]);
  }
  return statements;
}

/** Ledger entries for three tenants over two months, several days, tasks and models. */
function seedEntries(): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (const tenant of ['acme', 'globex', 'initech']) {
    for (let i = 0; i < 40; i += 1) {
      const month = i % 8 === 0 ? '2026-10' : MONTH;
      const day = `${month}-${String(1 + (i % 7) * 2).padStart(2, '0')}`;
      const cached = i % 5 === 0;
      entries.push({
        id: `${tenant}-e${i}#InvokeModel#req_${i}`,
        tenant,
        task: ['describe@1', 'transcribe@2', 'classify@1'][i % 3] ?? 'describe@1',
        kind: cached ? 'cache_hit' : 'model_call',
        model: i % 4 === 0 ? 'gpt-4o-mini' : 'gpt-4o',
        route: 'openai',
        priceTableVersion: '2026-11-24.1',
        tokens: { textIn: 100 + i, cachedIn: 0, imageIn: 765, audioIn: 0, textOut: 50, audioOut: 0 },
        costMicroUsd: cached ? 0 : 1000 + Math.floor(random() * 90_000),
        estimateMicroUsd: 100_000,
        requestIds: [`req_${i}`],
        executionId: `${tenant}-e${i}`,
        objectKeyHash: 'hash',
        createdAt: `${day}T${String(i % 24).padStart(2, '0')}:15:00.000Z`,
      });
    }
  }
  return entries;
}

describe('mediagate costs and the finance statements', () => {
  let local: LocalDynamo;
  let client: DynamoDBClient;
  let statements: Map<string, string>;
  let dir: string;
  const entries = seedEntries();

  beforeAll(async () => {
    local = await startLocalDynamo();
    client = local.client();
    await ensureLedgerTable(client, TABLE);
    const ledger = createDynamoLedger(client, TABLE);
    await Promise.all(entries.map((e) => ledger.record(e)));
    statements = await financeStatements();
    dir = await mkdtemp(join(tmpdir(), 'mediagate-costs-'));
  });

  afterAll(async () => {
    client?.destroy();
    await local?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs a statement from the doc exactly as written, pointed at the local DynamoDB. */
  async function aws(name: string): Promise<unknown> {
    const statement = statements.get(name);
    if (!statement) throw new Error(`docs/finance.md has no finance-query=${name}`);
    const local_ = statement.replace(/^aws dynamodb /, `aws --endpoint-url ${local.endpoint} dynamodb `);
    const { stdout } = await run('bash', ['-c', local_], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_REGION: 'us-east-1',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_PAGER: '',
        LEDGER_TABLE: TABLE,
        MONTH,
        DAY,
        TENANT,
      },
    });
    return name.endsWith('-items') ? stdout : JSON.parse(stdout);
  }

  async function costs(args: string[]): Promise<{ code: number; text: string }> {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const code = await runCostsCommand(args, { client, tableName: TABLE, out, err: new PassThrough() });
    return { code, text: Buffer.concat(chunks).toString('utf8') };
  }

  async function costsJson(args: string[]): Promise<CostsReport> {
    const { code, text } = await costs([...args, '--format', 'json']);
    expect(code).toBe(0);
    return JSON.parse(text) as CostsReport;
  }

  const byKey = <T extends Record<string, unknown>>(rows: T[], ...keys: string[]) =>
    [...rows].sort((a, b) =>
      keys
        .map((k) => String(a[k]))
        .join('|')
        .localeCompare(keys.map((k) => String(b[k])).join('|')),
    );

  it('documents every statement the test runs', () => {
    // Assess
    expect([...statements.keys()].sort()).toEqual(
      [
        'day-by-tenant',
        'month-by-day',
        'month-by-model',
        'month-by-tenant',
        'month-total',
        'partiql-month-by-tenant',
        'partiql-tenant-by-day',
        'partiql-tenant-ledger-sum',
        'tenant-by-day',
        'tenant-by-task',
        'tenant-ledger-count',
        'tenant-ledger-items',
        'tenant-ledger-sum',
      ].sort(),
    );
  });

  it('agrees with the AWS CLI on the month total and on every tenant', async () => {
    // Prepare
    const expected = entries
      .filter((e) => e.createdAt.startsWith(MONTH))
      .reduce((s, e) => s + e.costMicroUsd, 0);

    // Act
    const report = await costsJson(['--month', MONTH]);
    const total = await aws('month-total');
    const tenants = (await aws('month-by-tenant')) as Record<string, unknown>[];

    // Assess
    expect(report.totalMicroUsd).toBe(expected);
    expect(total).toBe(expected);
    expect(byKey(tenants, 'tenant')).toEqual(
      report.breakdown.map((r) => ({ tenant: r.tenant, costMicroUsd: r.costMicroUsd, items: r.items })),
    );
    expect(report.items).toBe(entries.filter((e) => e.createdAt.startsWith(MONTH)).length);
  });

  it('agrees with the AWS CLI per model and per day across tenants', async () => {
    // Act
    const models = await costsJson(['--month', MONTH, '--by', 'model']);
    const days = await costsJson(['--month', MONTH, '--by', 'day']);
    const cliModels = (await aws('month-by-model')) as Record<string, unknown>[];
    const cliDays = (await aws('month-by-day')) as Record<string, unknown>[];

    // Assess
    expect(byKey(cliModels, 'tenant', 'model')).toEqual(
      models.breakdown.map((r) => ({
        tenant: r.tenant,
        model: r.key,
        costMicroUsd: r.costMicroUsd,
        items: r.items,
      })),
    );
    expect(byKey(cliDays, 'tenant', 'day')).toEqual(
      days.breakdown.map((r) => ({
        tenant: r.tenant,
        day: r.key,
        costMicroUsd: r.costMicroUsd,
        items: r.items,
      })),
    );
    expect(models.totalMicroUsd).toBe(days.totalMicroUsd);
  });

  it('agrees with the AWS CLI on one day for every tenant', async () => {
    // Act
    const report = await costsJson(['--day', DAY]);
    const cli = (await aws('day-by-tenant')) as Record<string, unknown>[];

    // Assess
    const expected = entries
      .filter((e) => e.createdAt.startsWith(DAY))
      .reduce((s, e) => s + e.costMicroUsd, 0);
    expect(report.totalMicroUsd).toBe(expected);
    expect(byKey(cli, 'tenant')).toEqual(
      report.breakdown.map((r) => ({ tenant: r.tenant, costMicroUsd: r.costMicroUsd, items: r.items })),
    );
  });

  it("agrees with the AWS CLI on one tenant's days, tasks and raw ledger items", async () => {
    // Act
    const days = await costsJson(['--tenant', TENANT, '--month', MONTH, '--by', 'day']);
    const tasks = await costsJson(['--tenant', TENANT, '--month', MONTH, '--by', 'task']);
    const cliDays = (await aws('tenant-by-day')) as Record<string, unknown>[];
    const cliTasks = (await aws('tenant-by-task')) as Record<string, unknown>[];
    const count = await aws('tenant-ledger-count');
    const sum = await aws('tenant-ledger-sum');
    const lines = String(await aws('tenant-ledger-items'))
      .trim()
      .split('\n');

    // Assess
    expect(cliDays).toEqual(
      days.breakdown.map((r) => ({ day: r.key, costMicroUsd: r.costMicroUsd, items: r.items })),
    );
    expect(byKey(cliTasks, 'task')).toEqual(
      tasks.breakdown.map((r) => ({ task: r.key, costMicroUsd: r.costMicroUsd, items: r.items })),
    );
    expect(count).toBe(days.items);
    expect(sum).toBe(days.totalMicroUsd);
    expect(tasks.totalMicroUsd).toBe(days.totalMicroUsd);
    expect(lines).toHaveLength(days.items);
    expect(lines.reduce((s, line) => s + Number(line.split('\t')[5]), 0)).toBe(days.totalMicroUsd);
  });

  it('agrees with the PartiQL statements run through the AWS CLI', async () => {
    // Act
    const month = await costsJson(['--month', MONTH]);
    const days = await costsJson(['--tenant', TENANT, '--month', MONTH, '--by', 'day']);
    const tenants = (await aws('partiql-month-by-tenant')) as Record<string, unknown>[];
    const tenantDays = (await aws('partiql-tenant-by-day')) as Record<string, unknown>[];
    const ledgerSum = await aws('partiql-tenant-ledger-sum');

    // Assess
    expect(byKey(tenants, 'tenant')).toEqual(
      month.breakdown.map((r) => ({ tenant: r.tenant, costMicroUsd: r.costMicroUsd, items: r.items })),
    );
    expect(tenantDays).toEqual(
      days.breakdown.map((r) => ({ day: r.key, costMicroUsd: r.costMicroUsd, items: r.items })),
    );
    expect(ledgerSum).toBe(days.totalMicroUsd);
  });

  it('prints the same figures as a table, as CSV and in the HTML report', async () => {
    // Prepare
    const json = await costsJson(['--month', MONTH, '--by', 'task']);
    const htmlFile = join(dir, 'costs.html');

    // Act
    const table = await costs(['--month', MONTH, '--by', 'task']);
    const csv = await costs(['--month', MONTH, '--by', 'task', '--format', 'csv']);
    const html = await costs(['--month', MONTH, '--html', htmlFile]);
    const page = await readFile(htmlFile, 'utf8');

    // Assess
    const totalLine = table.text.split('\n').find((l) => l.startsWith('TOTAL')) ?? '';
    expect(totalLine).toContain(json.totalUsd);
    expect(totalLine).toContain(String(json.totalMicroUsd));
    const csvRows = csv.text.trim().split('\n').slice(1);
    expect(csvRows).toHaveLength(json.breakdown.length);
    expect(csvRows.reduce((s, row) => s + Number(row.split(',')[3]), 0)).toBe(json.totalMicroUsd);
    expect(html.text).toContain(`wrote ${htmlFile}`);
    expect(page).toContain(`$${json.totalUsd}`);
    expect(page).toMatch(/<svg[\s\S]*<rect[\s\S]*<\/svg>/);
    for (const tenant of ['acme', 'globex', 'initech']) expect(page).toContain(tenant);
    // Offline: nothing to fetch (the only URL is the SVG namespace).
    expect(page.replace('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
  });

  it('draws one bar per tenant and day with spend, labelled with its exact amount and sized in proportion', async () => {
    // Prepare
    const daily = await costsJson(['--month', MONTH, '--by', 'day']);
    const htmlFile = join(dir, 'chart.html');

    // Act
    await costs(['--month', MONTH, '--html', htmlFile]);
    const page = await readFile(htmlFile, 'utf8');

    // Assess: every bar's tooltip names a tenant, a day and the ledger's exact figure for them
    const bars = [
      ...page.matchAll(/<rect [^>]*height="([\d.]+)"[^>]*><title>(\S+) (\S+): \$([\d.]+)<\/title>/g),
    ];
    const expected = daily.breakdown.filter((row) => row.costMicroUsd > 0);
    expect(bars.map((bar) => `${bar[2]} ${bar[3]} ${bar[4]}`).sort()).toEqual(
      expected.map((row) => `${row.tenant} ${row.key} ${row.costUsd}`).sort(),
    );
    // Heights are proportional to spend (one pixel per so many µUSD, to the SVG's 0.1 px rounding).
    const perPixel = bars.map((bar) => Number(bar[4]) / Number(bar[1]));
    const mean = perPixel.reduce((sum, value) => sum + value, 0) / perPixel.length;
    for (const [i, bar] of bars.entries()) {
      if (Number(bar[1]) >= 5) expect(Math.abs((perPixel[i] ?? 0) - mean) / mean).toBeLessThan(0.05);
    }
  });

  it('reads a deployed ledger with --aws and the usual SDK settings, with the same figures', async () => {
    // Prepare: the standard SDK environment, pointed at the local DynamoDB instead of AWS
    const expected = await costsJson(['--month', MONTH, '--by', 'model']);

    // Act
    const { stdout } = await run(
      'npx',
      [
        'tsx',
        'cli/main.ts',
        'costs',
        '--aws',
        '--table',
        TABLE,
        '--month',
        MONTH,
        '--by',
        'model',
        '--format',
        'json',
      ],
      {
        cwd: new URL('../..', import.meta.url).pathname,
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_REGION: 'us-east-1',
          AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
        },
      },
    );

    // Assess
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it('formats exact dollars and rejects bad arguments with status 2', async () => {
    // Act
    const bad = await costs(['--month', '2026-13']);
    const both = await costs(['--month', MONTH, '--day', DAY]);
    const unknown = await costs(['--verbose']);
    const empty = await costsJson(['--month', '2025-01']);

    // Assess
    expect([bad.code, both.code, unknown.code]).toEqual([2, 2, 2]);
    expect(empty).toMatchObject({ totalMicroUsd: 0, totalUsd: '0.000000', items: 0, breakdown: [] });
  });
});
