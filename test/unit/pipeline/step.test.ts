import { describe, expect, it } from 'vitest';
import type { PipelineState } from '../../../functions/pipeline/document.js';
import { pipelineStep, stepLog } from '../../../functions/pipeline/step.js';
import { captureOutput } from '../../fixtures/capture-output.js';

function state(executionId: string): PipelineState {
  return {
    executionId,
    bucket: 'b',
    key: 'incoming/acme/1',
    sizeBytes: 1,
    tenant: 'acme',
    objectKeyHash: `hash-${executionId}`,
    receivedAt: '2026-12-01T00:00:00.000Z',
    status: 'in_progress',
    steps: [],
  };
}

describe('pipelineStep', () => {
  it('labels each log line with its own execution when invocations interleave in one process', async () => {
    // Prepare: two steps whose invocations overlap, as on the local stack
    const slow = pipelineStep('InvokeModel', async (s) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      stepLog.error('model attempt failed', { route: 'gpt-4o-primary' });
      return s;
    });
    const fast = pipelineStep('RecordCost', async (s) => s);

    // Act
    const printed = await captureOutput(async () => {
      await Promise.all([slow(state('exec-a')), fast(state('exec-b'))]);
    });

    // Assess
    const line = printed
      .split('\n')
      .filter((l) => l.includes('model attempt failed'))
      .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Record<string, string>);
    expect(line).toHaveLength(1);
    expect(line[0]).toMatchObject({ step: 'InvokeModel', executionId: 'exec-a' });
  });

  it('adds its timing to the document', async () => {
    const step = pipelineStep('Preprocess', async (s) => s);
    const next = await step(state('exec-c'));
    expect(next.steps.map((s) => s.name)).toEqual(['Preprocess']);
  });
});
