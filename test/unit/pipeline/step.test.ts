import { describe, expect, it } from 'vitest';
import type { AuditDecision } from '../../../functions/audit/record.js';
import type { PipelineState } from '../../../functions/pipeline/document.js';
import { pipelineStep, queueDecisionNow, stepLog } from '../../../functions/pipeline/step.js';
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

  it('emits the dashboard metrics in EMF under Mediagate: outcome, latency per step, bytes, tokens saved, cache hits, cost per tenant', async () => {
    // Prepare: an item through Preprocess (cache hit) and RecordCost, and one rejected at ValidateAndStrip
    const preprocess = pipelineStep('Preprocess', async (s) => ({
      ...s,
      processed: {
        key: 'processed/acme/x',
        mime: 'image/jpeg',
        sha256: 'f'.repeat(64),
        bytes: 4321,
        imageTokens: { before: 1105, after: 765 },
      },
      model: { ...modelSection(), cached: true },
    }));
    const recordCost = pipelineStep('RecordCost', async (s) => ({
      ...s,
      status: 'processed' as const,
      cost: { ledgerId: 'l1', costMicroUsd: 2550, priceTableVersion: 'v', written: true },
    }));
    const validate = pipelineStep('ValidateAndStrip', async (s) => ({
      ...s,
      status: 'rejected' as const,
      reason: 'TYPE_MISMATCH',
    }));

    // Act
    const printed = await captureOutput(async () => {
      await recordCost(await preprocess(state('exec-m')));
      await validate({ ...state('exec-r'), sizeBytes: 999 });
    });

    // Assess: each EMF document names its metric, unit, dimensions and value
    const emitted = printed
      .split('\n')
      .filter((line) => line.includes('"_aws"'))
      .map(
        (line) =>
          JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown> & {
            _aws: {
              CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
            };
          },
      )
      .flatMap((doc) =>
        doc._aws.CloudWatchMetrics.flatMap((set) =>
          set.Metrics.map((metric) => ({
            namespace: set.Namespace,
            name: metric.Name,
            dimensions: Object.fromEntries(
              set.Dimensions.flat()
                .filter((d) => d !== 'service')
                .map((d) => [d, doc[d]]),
            ),
            value: doc[metric.Name],
          })),
        ),
      );
    const find = (name: string, dimensions: Record<string, unknown> = {}) =>
      emitted.filter(
        (m) => m.name === name && Object.entries(dimensions).every(([k, v]) => m.dimensions[k] === v),
      );
    expect(new Set(emitted.map((m) => m.namespace))).toEqual(new Set(['Mediagate']));
    expect(find('StepLatency', { Step: 'Preprocess' })).toHaveLength(1);
    expect(find('StepLatency', { Step: 'RecordCost' })).toHaveLength(1);
    expect(find('BytesOut')[0]?.value).toBe(4321);
    expect(find('TokensSaved')[0]?.value).toBe(340);
    expect(find('CacheHit')[0]?.value).toBe(1);
    expect(find('CostMicroUsd', { Tenant: 'acme' })[0]?.value).toBe(2550);
    expect(find('ItemsByOutcome', { Outcome: 'processed' })).toHaveLength(1);
    expect(find('ItemsByOutcome', { Outcome: 'rejected' })).toHaveLength(1);
    expect(find('BytesIn')[0]?.value).toBe(999);
  });

  it('queues a decision settled before the last writes once, beside them, and fails a step whose result disowns it', async () => {
    // Prepare: a step that queues its verdict early, and one whose result then says something else
    const queued: AuditDecision[] = [];
    const audit = { append: async (decision: AuditDecision) => void queued.push(decision) };
    const accepted = (s: PipelineState): PipelineState => ({
      ...s,
      task: 'describe',
      media: { kind: 'image', inputType: 'image/png', sanitizedKey: 'k', removed: ['Exif'] },
    });
    const early = pipelineStep(
      'ValidateAndStrip',
      async (s) => {
        const next = accepted(s);
        await Promise.all([queueDecisionNow(next), Promise.resolve('a write')]);
        return {
          ...next,
          media: { ...(next.media as NonNullable<PipelineState['media']>), cacheMissed: true },
        };
      },
      { audit },
    );
    const disowned = pipelineStep(
      'ValidateAndStrip',
      async (s) => {
        await queueDecisionNow(accepted(s));
        return { ...s, status: 'rejected', reason: 'UNSUPPORTED_TYPE' };
      },
      { audit },
    );

    // Act
    await captureOutput(async () => void (await early(state('exec-early'))));
    let failure: unknown;
    await captureOutput(async () => {
      failure = await disowned(state('exec-disowned')).catch((error: unknown) => error);
    });

    // Assess: one record for the first (not a second one after the step), and the second fails loudly.
    expect(queued.filter((d) => d.executionId === 'exec-early')).toHaveLength(1);
    expect(queued[0]?.detail).toMatchObject({ kind: 'validation', verdict: 'accepted', removedCount: 1 });
    expect(String(failure)).toMatch(/does not bear out/);
  });

  it('queues nothing early outside a step, or for a step without an audit trail', async () => {
    await expect(queueDecisionNow(state('exec-outside'))).resolves.toBeUndefined();
    const step = pipelineStep('ValidateAndStrip', async (s) => {
      await queueDecisionNow(s);
      return s;
    });
    await expect(step(state('exec-no-audit'))).resolves.toMatchObject({ executionId: 'exec-no-audit' });
  });

  it('gives the document a trace id in X-Ray format that every later step keeps', async () => {
    const first = await pipelineStep('ValidateAndStrip', async (s) => s)(state('exec-t'));
    const second = await pipelineStep('Preprocess', async (s) => s)(first);
    expect(first.traceId).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(second.traceId).toBe(first.traceId);
    expect((await pipelineStep('Preprocess', async (s) => s)(state('exec-u'))).traceId).not.toBe(
      first.traceId,
    );
  });
});

function modelSection(): NonNullable<PipelineState['model']> {
  return {
    taskId: 'describe',
    taskVersion: '1',
    route: 'gpt-4o-primary',
    model: 'gpt-4o-2024-08-06',
    requestIds: [],
    cached: false,
    attempts: 0,
    usage: {
      promptTokens: 0,
      cachedPromptTokens: 0,
      audioPromptTokens: 0,
      completionTokens: 0,
      audioCompletionTokens: 0,
    },
    estimateMicroUsd: 0,
  };
}
