import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoLedger, TOKEN_BUCKETS } from '../../functions/adapters/dynamodb-ledger.js';
import type { LedgerEntry } from '../../functions/ports.js';
import { ensureLedgerTable, type LocalDynamo, startLocalDynamo } from '../../infra/local/dynamodb.js';

type Item = Record<string, unknown>;

function entry(overrides: Partial<LedgerEntry> & { id: string }): LedgerEntry {
  return {
    tenant: 'acme',
    task: 'describe@1',
    kind: 'model_call',
    model: 'gpt-4o-2024-08-06',
    route: 'openai:gpt-4o',
    priceTableVersion: '2026-11-24.1',
    tokens: { textIn: 235, cachedIn: 0, imageIn: 765, audioIn: 0, textOut: 100, audioOut: 0 },
    costMicroUsd: 3500,
    estimateMicroUsd: 4000,
    requestIds: ['req_1'],
    executionId: 'exec-1',
    objectKeyHash: 'abc123',
    createdAt: '2026-11-24T10:00:00.000Z',
    ...overrides,
  };
}

async function scanAll(client: DynamoDBClient, table: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    for (const raw of page.Items ?? []) items.push(unmarshall(raw));
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return items;
}

const NUMERIC = ['costMicroUsd', 'estimateMicroUsd', 'items', ...TOKEN_BUCKETS] as const;

/** What every aggregate should hold, recomputed from the ledger items alone. */
function expectedAggregates(ledger: Item[]): Map<string, Record<string, number>> {
  const expected = new Map<string, Record<string, number>>();
  for (const item of ledger) {
    for (const [period, periodKey] of [
      ['DAY', item.day],
      ['MONTH', item.month],
    ] as const) {
      for (const [dim, value] of [
        ['TOTAL', undefined],
        ['TASK', item.task],
        ['MODEL', item.model],
      ] as const) {
        const sk = `AGG#${period}#${dim}#${String(periodKey)}${value === undefined ? '' : `#${String(value)}`}`;
        const id = `${String(item.pk)}|${sk}`;
        const sums = expected.get(id) ?? Object.fromEntries(NUMERIC.map((n) => [n, 0]));
        sums.items = (sums.items ?? 0) + 1;
        for (const n of NUMERIC) if (n !== 'items') sums[n] = (sums[n] ?? 0) + Number(item[n] ?? 0);
        expected.set(id, sums);
      }
    }
  }
  return expected;
}

function actualAggregates(items: Item[]): Map<string, Record<string, number>> {
  const actual = new Map<string, Record<string, number>>();
  for (const item of items.filter((i) => i.type === 'aggregate')) {
    actual.set(
      `${String(item.pk)}|${String(item.sk)}`,
      Object.fromEntries(NUMERIC.map((n) => [n, Number(item[n] ?? 0)])),
    );
  }
  return actual;
}

describe('DynamoDB ledger', () => {
  let local: LocalDynamo;
  let client: DynamoDBClient;

  beforeAll(async () => {
    local = await startLocalDynamo();
    client = local.client();
  });

  afterAll(async () => {
    client?.destroy();
    await local?.close();
  });

  it('writes the ledger item and its day and month aggregates in one go', async () => {
    // Prepare
    await ensureLedgerTable(client, 'ledger-one');
    const ledger = createDynamoLedger(client, 'ledger-one', {
      now: () => new Date('2026-11-24T10:00:01.000Z'),
    });

    // Act
    const result = await ledger.record(entry({ id: 'exec-1#InvokeModel#req_1' }));

    // Assess
    expect(result).toEqual({ written: true });
    const items = await scanAll(client, 'ledger-one');
    const ledgerItem = items.find((i) => i.type === 'ledger');
    expect(ledgerItem).toMatchObject({
      pk: 'TENANT#acme',
      sk: 'LEDGER#exec-1#InvokeModel#req_1',
      gsi1pk: 'LEDGER#acme#2026-11',
      gsi1sk: '2026-11-24T10:00:00.000Z#exec-1#InvokeModel#req_1',
      costMicroUsd: 3500,
      imageIn: 765,
      estimateMicroUsd: 4000,
      actualToEstimate: 0.875,
      day: '2026-11-24',
      month: '2026-11',
      recordedAt: '2026-11-24T10:00:01.000Z',
      requestIds: ['req_1'],
    });
    const aggregates = items.filter((i) => i.type === 'aggregate').map((i) => [i.sk, i.gsi1pk, i.gsi1sk]);
    expect(aggregates.sort()).toEqual(
      [
        ['AGG#DAY#MODEL#2026-11-24#gpt-4o-2024-08-06', 'DAY#2026-11-24#MODEL', 'acme#gpt-4o-2024-08-06'],
        ['AGG#DAY#TASK#2026-11-24#describe@1', 'DAY#2026-11-24#TASK', 'acme#describe@1'],
        ['AGG#DAY#TOTAL#2026-11-24', 'MONTH#2026-11#DAY', '2026-11-24#acme'],
        ['AGG#MONTH#MODEL#2026-11#gpt-4o-2024-08-06', 'MONTH#2026-11#MODEL', 'acme#gpt-4o-2024-08-06'],
        ['AGG#MONTH#TASK#2026-11#describe@1', 'MONTH#2026-11#TASK', 'acme#describe@1'],
        ['AGG#MONTH#TOTAL#2026-11', 'MONTH#2026-11#TOTAL', 'acme'],
      ].sort(),
    );
    const monthTotal = items.find((i) => i.sk === 'AGG#MONTH#TOTAL#2026-11');
    expect(monthTotal).toMatchObject({
      costMicroUsd: 3500,
      items: 1,
      kind_model_call: 1,
      imageIn: 765,
      textOut: 100,
    });
  });

  it('writes an id once: a retry or duplicate event changes nothing and says so', async () => {
    // Prepare
    await ensureLedgerTable(client, 'ledger-idem');
    const ledger = createDynamoLedger(client, 'ledger-idem');
    const first = entry({ id: 'exec-2#InvokeModel#req_9' });
    await ledger.record(first);
    const before = await scanAll(client, 'ledger-idem');

    // Act: the same step retried a minute later, with a different clock and even a different figure.
    const again = await ledger.record({ ...first, createdAt: '2026-11-25T00:01:00.000Z', costMicroUsd: 99 });

    // Assess
    expect(again).toEqual({ written: false });
    const after = await scanAll(client, 'ledger-idem');
    const sortKey = (i: Item) => `${String(i.pk)}|${String(i.sk)}`;
    expect(after.sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual(
      before.sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
    );
    expect(after.filter((i) => i.type === 'ledger')).toHaveLength(1);
  });

  it('files an event under its UTC day even when written with an offset', async () => {
    // Prepare
    await ensureLedgerTable(client, 'ledger-utc');
    const ledger = createDynamoLedger(client, 'ledger-utc');

    // Act
    await ledger.record(entry({ id: 'late', createdAt: '2026-11-30T23:30:00-02:00' }));

    // Assess
    const items = await scanAll(client, 'ledger-utc');
    expect(items.find((i) => i.type === 'ledger')).toMatchObject({ day: '2026-12-01', month: '2026-12' });
    expect(items.some((i) => i.sk === 'AGG#MONTH#TOTAL#2026-12')).toBe(true);
  });

  it('sums other billable units into the aggregates', async () => {
    // Prepare
    await ensureLedgerTable(client, 'ledger-units');
    const ledger = createDynamoLedger(client, 'ledger-units');
    const dlp = {
      kind: 'dlp' as const,
      model: 'comprehend',
      route: 'aws:comprehend',
      tokens: { textIn: 0, cachedIn: 0, imageIn: 0, audioIn: 0, textOut: 0, audioOut: 0 },
      estimateMicroUsd: undefined,
    };

    // Act
    await ledger.record(entry({ ...dlp, id: 'u1', units: { comprehend: 3 }, costMicroUsd: 300 }));
    await ledger.record(entry({ ...dlp, id: 'u2', units: { comprehend: 11 }, costMicroUsd: 1100 }));

    // Assess
    const items = await scanAll(client, 'ledger-units');
    expect(items.find((i) => i.sk === 'AGG#DAY#TOTAL#2026-11-24')).toMatchObject({
      unit_comprehend: 14,
      kind_dlp: 2,
      costMicroUsd: 1400,
      items: 2,
    });
  });

  it('refuses entries that would corrupt the layout or the sums', async () => {
    // Prepare
    await ensureLedgerTable(client, 'ledger-bad');
    const ledger = createDynamoLedger(client, 'ledger-bad');

    // Act / Assess
    await expect(ledger.record(entry({ id: 'b1', tenant: 'a#b' }))).rejects.toThrow(RangeError);
    await expect(ledger.record(entry({ id: 'b2', costMicroUsd: 1.5 }))).rejects.toThrow(RangeError);
    await expect(ledger.record(entry({ id: 'b3', createdAt: 'yesterday' }))).rejects.toThrow(RangeError);
    expect(await scanAll(client, 'ledger-bad')).toEqual([]);
  });

  it('keeps Σ ledger = aggregates exactly under parallel writes, retries and duplicate events', async () => {
    // Prepare: 4 tenants × 30 billable events over two months, each delivered 1–3 times at once.
    await ensureLedgerTable(client, 'ledger-load');
    const ledger = createDynamoLedger(client, 'ledger-load');
    const tenants = ['acme', 'globex', 'initech', 'umbrella'];
    const unique: LedgerEntry[] = [];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const tenant of tenants) {
      for (let i = 0; i < 30; i += 1) {
        const day = `2026-${i % 3 === 0 ? '10-31' : `11-${String(1 + (i % 5)).padStart(2, '0')}`}`;
        unique.push(
          entry({
            id: `${tenant}-exec-${i}#InvokeModel#req_${i}`,
            tenant,
            task: i % 2 === 0 ? 'describe@1' : 'transcribe@2',
            model: i % 4 === 0 ? 'gpt-4o-mini' : 'gpt-4o',
            kind: i % 7 === 0 ? 'cache_hit' : 'model_call',
            costMicroUsd: i % 7 === 0 ? 0 : Math.floor(random() * 50_000),
            estimateMicroUsd: Math.floor(random() * 60_000),
            tokens: {
              textIn: Math.floor(random() * 2000),
              cachedIn: Math.floor(random() * 500),
              imageIn: Math.floor(random() * 1105),
              audioIn: 0,
              textOut: Math.floor(random() * 300),
              audioOut: 0,
            },
            createdAt: `${day}T${String(i % 24).padStart(2, '0')}:00:00.000Z`,
          }),
        );
      }
    }
    const deliveries = unique.flatMap((e, i) =>
      Array.from({ length: 1 + (i % 3) }, (_, copy) => ({
        ...e,
        // A retry carries a later clock; it must still be recognised as the same event.
        createdAt: copy === 0 ? e.createdAt : new Date(Date.parse(e.createdAt) + copy * 60_000).toISOString(),
      })),
    );
    deliveries.sort(() => random() - 0.5);

    // Act
    const results = await Promise.all(
      deliveries.map(async (d) => ({ id: d.id, ...(await ledger.record(d)) })),
    );

    // Assess
    const writtenIds = results.filter((r) => r.written).map((r) => r.id);
    expect(writtenIds.sort()).toEqual(unique.map((e) => e.id).sort());
    const items = await scanAll(client, 'ledger-load');
    const ledgerItems = items.filter((i) => i.type === 'ledger');
    expect(ledgerItems).toHaveLength(unique.length);
    expect(new Set(ledgerItems.map((i) => i.id)).size).toBe(unique.length);
    expect(actualAggregates(items)).toEqual(expectedAggregates(ledgerItems));
    const grand = unique.reduce((sum, e) => sum + e.costMicroUsd, 0);
    const monthTotals = items
      .filter((i) => i.type === 'aggregate' && i.period === 'month' && i.dim === 'total')
      .reduce((sum, i) => sum + Number(i.costMicroUsd), 0);
    expect(monthTotals).toBe(grand);
  });
});
