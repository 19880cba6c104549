import { describe, expect, it } from 'vitest';
import { modelLedgerEntries } from '../../../functions/money/ledger-entries.js';
import type { PipelineState } from '../../../functions/pipeline/document.js';

const usage = (prompt: number, completion: number, audioPrompt = 0) => ({
  promptTokens: prompt,
  cachedPromptTokens: 0,
  audioPromptTokens: audioPrompt,
  completionTokens: completion,
  audioCompletionTokens: 0,
});

function voiceNote(overrides: Partial<NonNullable<PipelineState['model']>> = {}): PipelineState {
  return {
    executionId: 'mg-exec',
    bucket: 'ingest',
    key: 'incoming/acme/1',
    sizeBytes: 10,
    tenant: 'acme',
    objectKeyHash: 'h'.repeat(64),
    receivedAt: '2026-12-01T00:00:00.000Z',
    status: 'in_progress',
    steps: [],
    processed: { key: 'processed/acme/mg-exec', mime: 'audio/wav', sha256: 's', bytes: 1, durationSec: 60 },
    model: {
      taskId: 'summarize-voice-note',
      taskVersion: '1',
      route: 'gpt-4o-mini-primary',
      model: 'gpt-4o-mini',
      requestIds: ['req_stt', 'req_text'],
      resultKey: 'results/acme/mg-exec.json',
      cached: false,
      attempts: 2,
      usage: usage(300, 40),
      estimateMicroUsd: 90,
      transcription: {
        route: 'gpt-4o-transcribe-primary',
        model: 'gpt-4o-transcribe',
        requestIds: ['req_stt'],
        usage: usage(600, 50, 600),
        estimateMicroUsd: 4_500,
      },
      ...overrides,
    },
  };
}

describe('model ledger entries', () => {
  it('bills a transcribe-first task as two items: the speech-to-text call and the text call', () => {
    // Act
    const entries = modelLedgerEntries(voiceNote(), '2026-12-01T00:00:01.000Z');

    // Assess: hand-computed from price-table.json
    // text call on gpt-4o-mini: 300 in × $0.15/M + 40 out × $0.60/M = 45 + 24 µUSD
    // transcription on gpt-4o-transcribe: 600 audio in × $6/M + 50 out × $10/M = 3 600 + 500 µUSD
    expect(entries.map((e) => [e.kind, e.model, e.costMicroUsd])).toEqual([
      ['model_call', 'gpt-4o-mini', 69],
      ['transcription', 'gpt-4o-transcribe', 4_100],
    ]);
    expect(entries.map((e) => e.id)).toEqual([
      'mg-exec#InvokeModel#req_text',
      'mg-exec#InvokeModel#transcription#req_stt',
    ]);
  });

  it('gives the same ids on a retry, so the conditional write adds nothing', () => {
    const first = modelLedgerEntries(voiceNote(), '2026-12-01T00:00:01.000Z').map((e) => e.id);
    const again = modelLedgerEntries(voiceNote(), '2026-12-01T00:05:00.000Z').map((e) => e.id);
    expect(again).toEqual(first);
  });

  it('records a cache hit alone, at zero model cost, with no transcription item', () => {
    const entries = modelLedgerEntries(
      voiceNote({ cached: true, requestIds: [], usage: usage(0, 0) }),
      '2026-12-01T00:00:01.000Z',
    );
    expect(entries.map((e) => [e.kind, e.costMicroUsd, e.id])).toEqual([
      ['cache_hit', 0, 'mg-exec#InvokeModel#cache'],
    ]);
  });
});
