import { ComprehendClient, DetectPiiEntitiesCommand } from '@aws-sdk/client-comprehend';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DetectDocumentTextCommand, TextractClient } from '@aws-sdk/client-textract';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComprehendPiiDetector } from '../../functions/adapters/comprehend-pii-detector.js';
import { createDynamoBudgetStore } from '../../functions/adapters/dynamodb-budget-store.js';
import { createDynamoLedger } from '../../functions/adapters/dynamodb-ledger.js';
import { createTextractOcr } from '../../functions/adapters/textract-ocr.js';
import { checkItem } from '../../functions/dlp-check/check-item.js';
import type { PipelineState } from '../../functions/pipeline/document.js';
import { ensureLedgerTable, type LocalDynamo, startLocalDynamo } from '../../infra/local/dynamodb.js';
import { seedBudgetGuard } from '../fixtures/budget-guard.js';
import { memoryBlobs } from '../fixtures/memory-blobs.js';

const comprehend = mockClient(ComprehendClient);
const textract = mockClient(TextractClient);

describe('DlpCheck charges its AWS calls to the ledger once', () => {
  let local: LocalDynamo;
  let client: DynamoDBClient;

  beforeAll(async () => {
    local = await startLocalDynamo();
    client = local.client();
  });

  afterAll(async () => {
    comprehend.restore();
    textract.restore();
    client?.destroy();
    await local?.close();
  });

  it('writes one Comprehend and one Textract item for a blocked item, however often the step runs', async () => {
    // Prepare: 450 characters of instructions holding an SSN (blocked under the default policy), and
    // an image in which Textract reads "Claim form"
    const ssn = '536-22-4417';
    const instructions = `Please file this claim for me; my SSN is ${ssn}. `.padEnd(450, 'x');
    comprehend.on(DetectPiiEntitiesCommand, { Text: instructions }).resolves({
      Entities: [{ Type: 'SSN', Score: 0.99, BeginOffset: 41, EndOffset: 52 }],
      $metadata: { requestId: 'comprehend-instructions' },
    });
    comprehend
      .on(DetectPiiEntitiesCommand, { Text: 'Claim form' })
      .resolves({ Entities: [], $metadata: { requestId: 'comprehend-ocr' } });
    textract.on(DetectDocumentTextCommand).resolves({
      Blocks: [
        { BlockType: 'LINE', Id: 'l', Relationships: [{ Type: 'CHILD', Ids: ['a', 'b'] }] },
        {
          BlockType: 'WORD',
          Id: 'a',
          Text: 'Claim',
          Geometry: { BoundingBox: { Left: 0.1, Top: 0.1, Width: 0.2, Height: 0.1 } },
        },
        {
          BlockType: 'WORD',
          Id: 'b',
          Text: 'form',
          Geometry: { BoundingBox: { Left: 0.4, Top: 0.1, Width: 0.2, Height: 0.1 } },
        },
      ],
      $metadata: { requestId: 'textract-1' },
    });
    await ensureLedgerTable(client, 'ledger-dlp');
    const blobs = memoryBlobs();
    const state: PipelineState = {
      executionId: 'mg-dlp-billing',
      bucket: 'ingest',
      key: 'incoming/acme/claim.png',
      sizeBytes: 100,
      tenant: 'acme',
      objectKeyHash: 'hash-claim',
      receivedAt: '2026-11-24T10:00:00.000Z',
      status: 'in_progress',
      task: 'describe',
      steps: [],
      media: {
        kind: 'image',
        inputType: 'image/png',
        sanitizedKey: 'sanitized/acme/mg-dlp-billing',
        removed: [],
      },
      processed: { key: 'processed/acme/mg-dlp-billing', mime: 'image/png', sha256: 'x', bytes: 100 },
    };
    await blobs.put('ingest', state.key, Buffer.alloc(0), {
      metadata: { instructions: encodeURIComponent(instructions) },
    });
    const png = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    await blobs.put('processed', 'processed/acme/mg-dlp-billing', png);
    const deps = {
      blobs,
      ledger: createDynamoLedger(client, 'ledger-dlp'),
      // Budget counters in the same table (their keys are TENANT#…#BUDGET, the ledger's TENANT#…).
      budget: seedBudgetGuard(createDynamoBudgetStore(client, 'ledger-dlp'), {
        now: () => new Date('2026-11-24T10:00:05.000Z'),
      }),
      buckets: { ingest: 'ingest', processed: 'processed', results: 'results' },
      detector: createComprehendPiiDetector(new ComprehendClient({ region: 'us-east-1' })),
      ocr: createTextractOcr(new TextractClient({ region: 'us-east-1' })),
      now: () => new Date('2026-11-24T10:00:05.000Z'),
    };

    // Act: the step, then the same step again (a Lambda retry or a redrive of the execution)
    const first = await checkItem(deps, state);
    const second = await checkItem(deps, state);

    // Assess
    expect(first).toMatchObject({ status: 'rejected', reason: 'PII_BLOCKED' });
    expect(second.dlp).toEqual(first.dlp);
    expect(first.dlp?.billing).toEqual({
      comprehend: { requests: 2, units: 8 },
      textract: { requests: 1, units: 1 },
    });
    const items = ((await client.send(new ScanCommand({ TableName: 'ledger-dlp' }))).Items ?? []).map((i) =>
      unmarshall(i),
    );
    const ledger = items.filter((i) => i.type === 'ledger');
    // Comprehend: 450 chars = 5 units, "Claim form" = 10 chars, raised to the 3-unit minimum; 8 × 100 µUSD.
    // Textract: one page at $1.50 per 1000 pages = 1500 µUSD.
    expect(ledger.map((i) => [i.sk, i.kind, i.units, i.costMicroUsd]).sort()).toEqual([
      ['LEDGER#mg-dlp-billing#DlpCheck#comprehend', 'dlp', { comprehend: 8 }, 800],
      ['LEDGER#mg-dlp-billing#DlpCheck#textract', 'ocr', { textract_page: 1 }, 1500],
    ]);
    expect(ledger.find((i) => i.kind === 'dlp')).toMatchObject({
      task: 'describe@1',
      model: 'comprehend',
      requestIds: ['comprehend-instructions', 'comprehend-ocr'],
      executionId: 'mg-dlp-billing',
    });
    // The same 2 300 µUSD count once against the tenant's budget, however often the step ran.
    expect(items.find((i) => i.pk === 'TENANT#acme#BUDGET' && i.sk === 'DAY#2026-11-24')).toMatchObject({
      spentMicroUsd: 2300,
      reservedMicroUsd: 0,
    });
    expect(items.find((i) => i.sk === 'AGG#MONTH#TOTAL#2026-11')).toMatchObject({
      costMicroUsd: 2300,
      items: 2,
      kind_dlp: 1,
      kind_ocr: 1,
      unit_comprehend: 8,
      unit_textract_page: 1,
    });
    expect(JSON.stringify(items)).not.toContain(ssn);
  });
});
