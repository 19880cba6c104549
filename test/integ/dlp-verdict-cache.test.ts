/**
 * DLP verdicts reused by what was scanned, on the local S3 (s3rver) and DynamoDB (dynalite): the same media
 * and instructions under the same policy version take the first scan's verdict and redacted copies
 * without running a detector; anything else is scanned.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbDlpVerdictCache } from '../../functions/adapters/dynamodb-dlp-verdict-cache.js';
import { createDynamoLedger } from '../../functions/adapters/dynamodb-ledger.js';
import { createLocalPiiDetector } from '../../functions/adapters/local-pii-detector.js';
import { createS3BlobStore } from '../../functions/adapters/s3-blob-store.js';
import { policyForTenant } from '../../functions/dlp/policy.js';
import { dlpVerdictKey, instructionsFingerprint } from '../../functions/dlp/verdict-cache.js';
import { checkItem } from '../../functions/dlp-check/check-item.js';
import type { PipelineState } from '../../functions/pipeline/document.js';
import { objectKeys } from '../../functions/pipeline/step.js';
import type { BlobStore, PiiDetector } from '../../functions/ports.js';
import {
  createStateTable,
  ensureLedgerTable,
  type LocalDynamo,
  startLocalDynamo,
} from '../../infra/local/dynamodb.js';
import { LOCAL_CREDENTIALS, type LocalS3, startLocalS3 } from '../../infra/local/s3.js';

const BUCKETS = { ingest: 'ingest', processed: 'processed', results: 'results' };

describe('DLP verdicts reused for the same media, instructions and policy', () => {
  let dynamo: LocalDynamo;
  let s3: LocalS3;
  let client: DynamoDBClient;
  let blobs: BlobStore;
  let directory: string;
  let detectorCalls = 0;
  let detector: PiiDetector;

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-dlp-verdicts-'));
    s3 = await startLocalS3({ directory, buckets: Object.values(BUCKETS), onObjectCreated: () => {} });
    dynamo = await startLocalDynamo();
    client = dynamo.client();
    await createStateTable(client, 'state');
    await ensureLedgerTable(client, 'ledger');
    blobs = createS3BlobStore(
      new S3Client({
        region: 'us-east-1',
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials: LOCAL_CREDENTIALS,
      }),
    );
    const local = createLocalPiiDetector();
    detector = {
      name: local.name,
      detect: (text, options) => {
        detectorCalls++;
        return local.detect(text, options);
      },
    };
  });

  afterAll(async () => {
    client?.destroy();
    await dynamo?.close();
    await s3?.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  /** DlpCheck on the local S3 and DynamoDB, with the counting detector and the verdict cache. */
  function checkItemDeps() {
    return {
      blobs,
      ledger: createDynamoLedger(client, 'ledger'),
      buckets: BUCKETS,
      detector,
      verdicts: createDynamoDbDlpVerdictCache(client, 'state'),
    };
  }

  /** An item as Preprocess leaves it; `recorded`: with the fingerprint ValidateAndStrip records. */
  async function upload(
    executionId: string,
    instructions: string,
    media: Buffer,
    recorded = false,
  ): Promise<PipelineState> {
    const key = `uploads/acme/${executionId}.png`;
    await blobs.put(BUCKETS.ingest, key, media, {
      metadata: { instructions: encodeURIComponent(instructions) },
    });
    const processedKey = `processed/acme/${executionId}`;
    await blobs.put(BUCKETS.processed, processedKey, media, { contentType: 'image/png' });
    const sha256 = createHash('sha256').update(media).digest('hex');
    return {
      executionId,
      bucket: BUCKETS.ingest,
      key,
      sizeBytes: media.length,
      tenant: 'acme',
      objectKeyHash: `hash-${executionId}`,
      receivedAt: '2026-12-02T10:00:00.000Z',
      status: 'in_progress',
      task: 'describe',
      steps: [],
      media: {
        kind: 'image',
        inputType: 'image/png',
        sanitizedKey: processedKey,
        removed: [],
        ...(recorded
          ? { instructionsFingerprint: instructionsFingerprint('acme', encodeURIComponent(instructions)) }
          : {}),
      },
      processed: { key: processedKey, mime: 'image/png', sha256, bytes: media.length },
    };
  }

  it('answers a repeat from the first verdict with no detector call, and scans new instructions', async () => {
    // Prepare
    const media = await sharp({ create: { width: 160, height: 90, channels: 3, background: '#7ab' } })
      .png()
      .toBuffer();
    const deps = checkItemDeps();
    const asked = 'Reply to jane.roe@example.com about this picture';

    // Act
    const first = await checkItem(deps, await upload('mg-first', asked, media));
    const callsAfterFirst = detectorCalls;
    // The repeat carries the fingerprint ValidateAndStrip records; the first was scanned without it.
    const repeat = await checkItem(deps, await upload('mg-repeat', asked, media, true));
    const callsAfterRepeat = detectorCalls;
    const other = await checkItem(deps, await upload('mg-other', 'What colour is it?', media));

    // Assess: the first scan redacts the e-mail; the repeat reuses it without a detector call
    expect(first.dlp?.decision).toBe('redact');
    expect(first.dlp?.findings.map((f) => f.type)).toContain('EMAIL');
    expect(callsAfterFirst).toBeGreaterThan(0);
    expect(callsAfterRepeat).toBe(callsAfterFirst);
    expect(repeat.dlp).toMatchObject({
      decision: first.dlp?.decision,
      findings: first.dlp?.findings,
      policyVersion: first.dlp?.policyVersion,
      verdictReused: true,
      promptKey: 'prompts/acme/mg-repeat.txt',
    });
    const prompt = await blobs.get(BUCKETS.processed, 'prompts/acme/mg-repeat.txt');
    expect(prompt.body.toString('utf8')).not.toContain('jane.roe@example.com');
    expect(prompt.body.toString('utf8')).toBe(
      (await blobs.get(BUCKETS.processed, 'prompts/acme/mg-first.txt')).body.toString('utf8'),
    );
    // Other instructions about the same media are a new question: scanned
    expect(detectorCalls).toBeGreaterThan(callsAfterRepeat);
    expect(other.dlp?.verdictReused).toBeUndefined();
  });

  it('reads nothing of the original for an item sent without instructions', async () => {
    // Prepare: the document says no instructions came, and points at an original that is not there
    const media = await sharp({ create: { width: 100, height: 80, channels: 3, background: '#5a7' } })
      .png()
      .toBuffer();
    const item = await upload('mg-no-instructions', '', media, true);

    // Act
    const checked = await checkItem(checkItemDeps(), { ...item, key: 'uploads/acme/never-written.png' });

    // Assess
    expect(checked.dlp?.decision).toBe('allow');
  });

  it('scans again when the copies a verdict points to are gone', async () => {
    // Prepare: a verdict whose prompt object no longer exists
    const media = await sharp({ create: { width: 120, height: 60, channels: 3, background: '#a75' } })
      .png()
      .toBuffer();
    const verdicts = createDynamoDbDlpVerdictCache(client, 'state');
    const deps = {
      blobs,
      ledger: createDynamoLedger(client, 'ledger'),
      buckets: BUCKETS,
      detector,
      verdicts,
    };
    const first = await checkItem(deps, await upload('mg-gone-1', 'Is this a cat?', media));
    const stale = await upload('mg-gone-2', 'Is this a cat?', media);
    const forged = {
      ...(first.dlp as NonNullable<PipelineState['dlp']>),
      promptKey: 'prompts/acme/removed.txt',
    };
    await verdicts.put(
      'acme',
      dlpVerdictKey({
        processedSha256: stale.processed?.sha256 ?? '',
        instructionsFingerprint: instructionsFingerprint('acme', encodeURIComponent('Is this a cat?')),
        policyVersion: policyForTenant('acme').version,
        detector: detector.name,
        ocr: 'none',
        transcriber: 'none',
      }),
      {
        decision: forged.decision,
        findings: forged.findings,
        ocrScanned: false,
        policyVersion: forged.policyVersion,
        language: forged.language ?? 'en',
        detector: forged.detector,
        promptKey: forged.promptKey,
      },
      60,
    );
    const before = detectorCalls;

    // Act
    const again = await checkItem(deps, stale);

    // Assess
    expect(detectorCalls).toBeGreaterThan(before);
    expect(again.dlp?.verdictReused).toBeUndefined();
    expect(again.dlp?.promptKey).toBe('prompts/acme/mg-gone-2.txt');
  });

  it('restores every page of a document from its verdict: the redacted page 2 and the untouched page 1', async () => {
    // Prepare: a two-page document whose text layer puts an e-mail address on page 2 only
    const pageImage = (background: string) =>
      sharp({ create: { width: 200, height: 120, channels: 3, background } })
        .png()
        .toBuffer();
    const pageBytes = [await pageImage('#eee'), await pageImage('#ddd')];
    const email = 'jane.roe@example.com';
    const layer = {
      pages: [
        {
          text: 'CLAIM FORM',
          lines: [{ text: 'CLAIM FORM', start: 0, box: { left: 0.1, top: 0.1, width: 0.5, height: 0.1 } }],
        },
        {
          text: `Contact ${email}`,
          lines: [
            { text: `Contact ${email}`, start: 0, box: { left: 0.1, top: 0.5, width: 0.8, height: 0.1 } },
          ],
        },
      ],
    };
    const deps = checkItemDeps();
    async function document(executionId: string): Promise<PipelineState> {
      const state = await upload(executionId, 'Summarise this form', pageBytes[0] as Buffer);
      const processedKey = state.processed?.key ?? '';
      const pages = await Promise.all(
        pageBytes.map(async (bytes, index) => {
          const key = objectKeys.page(processedKey, index + 1);
          await blobs.put(BUCKETS.processed, key, bytes, { contentType: 'image/png' });
          const sha256 = createHash('sha256').update(bytes).digest('hex');
          return { key, mime: 'image/png', sha256, bytes: bytes.length, width: 200, height: 120 };
        }),
      );
      const textLayerKey = objectKeys.textLayer(processedKey);
      await blobs.put(BUCKETS.processed, textLayerKey, Buffer.from(JSON.stringify(layer)), {
        contentType: 'application/json',
      });
      const sha256 = createHash('sha256')
        .update(pages.map((page) => page.sha256).join('\n'))
        .digest('hex');
      return {
        ...state,
        media: { ...(state.media as NonNullable<PipelineState['media']>), pages: 2 },
        processed: { key: processedKey, mime: 'image/png', sha256, bytes: 0, pages, textLayerKey },
      };
    }

    // Act
    const first = await checkItem(deps, await document('mg-doc-first'));
    const callsAfterFirst = detectorCalls;
    const repeatState = await document('mg-doc-repeat');
    const repeat = await checkItem(deps, repeatState);

    // Assess: the first scan painted page 2 only; the repeat reuses the verdict for both pages
    expect(first.dlp?.decision).toBe('redact');
    expect(first.dlp?.findings.filter((f) => f.type === 'EMAIL').map((f) => f.page)).toEqual([2]);
    const [firstPage1, firstPage2] = first.dlp?.modelInputKeys ?? [];
    expect(firstPage1).toBe(objectKeys.page('processed/acme/mg-doc-first', 1));
    expect(firstPage2).not.toBe(objectKeys.page('processed/acme/mg-doc-first', 2));
    expect(detectorCalls).toBe(callsAfterFirst);
    expect(repeat.dlp?.verdictReused).toBe(true);
    expect(repeat.dlp?.findings).toEqual(first.dlp?.findings);
    const [repeatPage1, repeatPage2] = repeat.dlp?.modelInputKeys ?? [];
    expect(repeat.dlp?.modelInputKey).toBe(repeatPage1);
    expect(repeatPage1).toBe(repeatState.processed?.pages?.[0]?.key);
    expect(repeatPage2).toBe(objectKeys.page(objectKeys.redacted(repeatState), 2));
    const redactedFirst = (await blobs.get(BUCKETS.processed, firstPage2 ?? '')).body;
    const redactedRepeat = (await blobs.get(BUCKETS.processed, repeatPage2 ?? '')).body;
    expect(redactedRepeat.equals(redactedFirst)).toBe(true);
    expect(redactedRepeat.equals(pageBytes[1] as Buffer)).toBe(false);
  });
});
