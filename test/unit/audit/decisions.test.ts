import { describe, expect, it } from 'vitest';
import { decisionId, redriveDecision, stepDecision } from '../../../functions/audit/decisions.js';
import type { PipelineState } from '../../../functions/pipeline/document.js';

const AT = '2026-12-02T10:00:00.000Z';

function item(overrides: Partial<PipelineState> = {}): PipelineState {
  return {
    executionId: 'mg-1',
    bucket: 'ingest',
    key: 'incoming/acme/1',
    sizeBytes: 10,
    tenant: 'acme',
    objectKeyHash: 'h1',
    receivedAt: AT,
    traceId: '1-6b0fec20-000000000000000000000001',
    status: 'in_progress',
    steps: [],
    ...overrides,
  };
}

describe('stepDecision', () => {
  it('records a validation rejection with its reason, and nothing for steps that decide nothing', () => {
    const rejected = stepDecision(
      'ValidateAndStrip',
      item({ status: 'rejected', reason: 'TYPE_MISMATCH' }),
      AT,
    );
    expect(rejected).toMatchObject({
      tenant: 'acme',
      decisionId: 'mg-1#0#ValidateAndStrip',
      traceId: '1-6b0fec20-000000000000000000000001',
      detail: { kind: 'validation', verdict: 'rejected', reason: 'TYPE_MISMATCH' },
    });
    expect(stepDecision('Preprocess', item(), AT)).toBeUndefined();
  });

  it('keeps finding types and the policy version of a DLP verdict, never where or what was found', () => {
    const finding = (type: 'SSN' | 'EMAIL', start: number) =>
      ({ type, source: 'ocr', score: 0.9, start, end: start + 11, action: 'block' }) as const;
    const decision = stepDecision(
      'DlpCheck',
      item({
        status: 'rejected',
        reason: 'PII_BLOCKED',
        dlp: {
          detector: 'comprehend',
          decision: 'block',
          findings: [finding('SSN', 40), finding('EMAIL', 80), finding('SSN', 120)],
          modelInputKey: 'processed/acme/mg-1',
          promptKey: 'prompts/acme/mg-1.txt',
          policyVersion: 'default@2026-11-24.1',
        },
      }),
      AT,
    );
    expect(decision?.detail).toEqual({
      kind: 'dlp',
      verdict: 'block',
      reason: 'PII_BLOCKED',
      policyVersion: 'default@2026-11-24.1',
      detector: 'comprehend',
      findingTypes: ['EMAIL', 'SSN'],
      findings: 3,
    });
  });

  it('gives a redriven run decision ids of its own, and each redrive one id', () => {
    expect(decisionId(item(), 'InvokeModel')).not.toBe(
      decisionId(item({ redriveOf: 'arn:aws:states:…:execution:pipeline:mg-1' }), 'InvokeModel'),
    );
    const failed = item({ status: 'failed', reason: 'MODEL_OUTAGE' });
    const first = redriveDecision(failed, { redriveOf: 'arn:…:mg-1', execution: 'arn:…:mg-1-r1' }, AT);
    const second = redriveDecision(failed, { redriveOf: 'arn:…:mg-1-r1', execution: 'arn:…:mg-1-r2' }, AT);
    expect(first.decisionId).not.toBe(second.decisionId);
    expect(first.detail).toEqual({
      kind: 'redrive',
      redriveOf: 'arn:…:mg-1',
      execution: 'arn:…:mg-1-r1',
      failedReason: 'MODEL_OUTAGE',
    });
  });
});
