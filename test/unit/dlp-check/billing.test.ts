import { describe, expect, it } from 'vitest';
import { billingSummary, dlpLedgerEntries } from '../../../functions/dlp-check/billing.js';
import { PRICE_TABLE_VERSION } from '../../../functions/money/prices.js';
import type { PipelineState } from '../../../functions/pipeline/document.js';
import type { BilledRequest } from '../../../functions/ports.js';

const state: PipelineState = {
  executionId: 'mg-abc',
  bucket: 'ingest',
  key: 'incoming/acme/x',
  sizeBytes: 10,
  tenant: 'acme',
  objectKeyHash: 'hash-1',
  receivedAt: '2026-11-24T10:00:00.000Z',
  status: 'in_progress',
  task: 'describe',
  steps: [],
};

const CREATED = '2026-11-24T10:00:05.000Z';

describe('DlpCheck billing', () => {
  it('writes one entry per service, pricing each request on its own so per-request minimums hold', () => {
    // Prepare: 450 chars = 5 units; 120 chars = 2 units, raised to the 3-unit minimum; $0.0001 a unit
    const billed: BilledRequest[] = [
      { service: 'comprehend', quantity: 450, requestId: 'c-1' },
      { service: 'textract', quantity: 1, requestId: 't-1' },
      { service: 'comprehend', quantity: 120, requestId: 'c-2' },
    ];
    // Act
    const entries = dlpLedgerEntries(state, billed, CREATED);
    // Assess
    expect(entries).toEqual([
      {
        id: 'mg-abc#DlpCheck#comprehend',
        tenant: 'acme',
        task: 'describe@1',
        kind: 'dlp',
        model: 'comprehend',
        route: 'aws:comprehend',
        priceTableVersion: PRICE_TABLE_VERSION,
        tokens: { textIn: 0, cachedIn: 0, imageIn: 0, audioIn: 0, textOut: 0, audioOut: 0 },
        units: { comprehend: 8 },
        costMicroUsd: 800,
        requestIds: ['c-1', 'c-2'],
        executionId: 'mg-abc',
        objectKeyHash: 'hash-1',
        createdAt: CREATED,
      },
      expect.objectContaining({
        id: 'mg-abc#DlpCheck#textract',
        kind: 'ocr',
        model: 'textract',
        units: { textract_page: 1 },
        costMicroUsd: 1500,
        requestIds: ['t-1'],
      }),
    ]);
  });

  it('bills Transcribe per started second with the 15-second minimum', () => {
    // Prepare: 12.3 s is billed as 15 s; 40.2 s as 41 s; $0.0004 a second
    const short = dlpLedgerEntries(state, [{ service: 'transcribe', quantity: 12.3 }], CREATED);
    const long = dlpLedgerEntries(state, [{ service: 'transcribe', quantity: 40.2 }], CREATED);
    // Assess
    expect(short).toMatchObject([
      {
        id: 'mg-abc#DlpCheck#transcribe',
        kind: 'transcription',
        units: { transcribe_second: 15 },
        costMicroUsd: 6000,
        requestIds: [],
      },
    ]);
    expect(long).toMatchObject([{ units: { transcribe_second: 41 }, costMicroUsd: 16_400 }]);
  });

  it('writes nothing when the offline adapters billed nothing', () => {
    expect(dlpLedgerEntries(state, [], CREATED)).toEqual([]);
    expect(billingSummary([])).toEqual({});
  });

  it('summarises requests and billed units per service for the outcome event', () => {
    // Act
    const summary = billingSummary([
      { service: 'comprehend', quantity: 450 },
      { service: 'comprehend', quantity: 120 },
      { service: 'textract', quantity: 1 },
    ]);
    // Assess
    expect(summary).toEqual({ comprehend: { requests: 2, units: 8 }, textract: { requests: 1, units: 1 } });
  });
});
