import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { instructionsFingerprint } from '../../../functions/dlp/verdict-cache.js';
import { questionKeyOf } from '../../../functions/model/item-answer.js';
import { findTask } from '../../../functions/model/tasks.js';
import type { PipelineState } from '../../../functions/pipeline/document.js';
import type { CachedResult, ResultCache } from '../../../functions/ports.js';
import { storeCleanCopy } from '../../../functions/validate-and-strip/clean-copy.js';
import { memoryBlobs } from '../../fixtures/memory-blobs.js';

const describeTask = findTask('describe');
if (!describeTask) throw new Error('the describe task is in the catalogue');
const task = describeTask;
const BUCKETS = { ingest: 'ingest', processed: 'processed', results: 'results' };
const CLEAN = Buffer.from('clean jpeg bytes');
const POLICY = { name: undefined, version: 'default@1' };

function item(executionId: string): PipelineState {
  return {
    executionId,
    bucket: 'ingest',
    key: `incoming/acme/${executionId}.jpg`,
    sizeBytes: 100,
    tenant: 'acme',
    objectKeyHash: `hash-${executionId}`,
    receivedAt: '2026-12-02T10:00:00.000Z',
    status: 'in_progress',
    steps: [],
  };
}

function accepted(instructions?: string) {
  const metadata: Record<string, string> =
    instructions === undefined ? {} : { instructions: encodeURIComponent(instructions) };
  return {
    outcome: {
      ok: true as const,
      kind: 'image' as const,
      inputType: 'image/jpeg',
      outputType: 'image/jpeg',
      bytes: CLEAN,
      removed: ['Exif', 'XMP'],
    },
    task,
    declaredType: 'image/jpeg',
    metadata,
    dlpPolicy: POLICY,
  };
}

function memoryCache(): ResultCache & { entries: Map<string, CachedResult> } {
  const entries = new Map<string, CachedResult>();
  return {
    entries,
    get: async (tenant, key) => entries.get(`${tenant}/${key}`),
    put: async (tenant, key, value) => void entries.set(`${tenant}/${key}`, value),
  };
}

describe('storeCleanCopy', () => {
  it('stores the clean copy, keys the question on its hash, and sends a miss on to Preprocess', async () => {
    // Prepare
    const blobs = memoryBlobs();
    const deps = { blobs, cache: memoryCache(), buckets: BUCKETS };

    // Act
    const next = await storeCleanCopy(deps, item('mg-miss'), accepted('What is it?'));

    // Assess
    const sha256 = createHash('sha256').update(CLEAN).digest('hex');
    expect(blobs.objects.get('processed/sanitized/acme/mg-miss')?.body).toEqual(CLEAN);
    expect(next.model).toBeUndefined();
    expect(next.media).toMatchObject({
      sanitizedKey: 'sanitized/acme/mg-miss',
      removed: ['Exif', 'XMP'],
      sha256,
      cacheMissed: true,
      question: {
        cacheKey: questionKeyOf(
          { tenant: 'acme', mediaSha256: sha256 },
          encodeURIComponent('What is it?'),
          task,
          POLICY.version,
        ),
        policyVersion: POLICY.version,
        taskId: task.id,
      },
      instructionsFingerprint: instructionsFingerprint('acme', encodeURIComponent('What is it?')),
    });
    // The document holds hashes of the instructions, never the text.
    expect(JSON.stringify(next)).not.toContain('What is it');
  });

  it('answers a repeated question from the cache, and asks anew for other instructions', async () => {
    // Prepare: the first item's answer, as InvokeModel stores it under the item's question key
    const blobs = memoryBlobs();
    const cache = memoryCache();
    const deps = { blobs, cache, buckets: BUCKETS };
    const first = await storeCleanCopy(deps, item('mg-first'), accepted('What is it?'));
    await cache.put(
      'acme',
      first.media?.question?.cacheKey ?? '',
      {
        text: 'a red circle',
        model: 'gpt-4o-2024-08-06',
        route: 'gpt-4o-primary',
        requestIds: ['req-1'],
        createdAt: '2026-12-02T10:00:01.000Z',
      },
      300,
    );

    // Act
    const repeat = await storeCleanCopy(deps, item('mg-repeat'), accepted('What is it?'));
    const other = await storeCleanCopy(deps, item('mg-other'), accepted('How many circles?'));

    // Assess: the repeat is answered at zero cost with its own result object; the other question is not
    expect(repeat.model).toMatchObject({ cached: true, route: 'gpt-4o-primary', estimateMicroUsd: 0 });
    const stored = blobs.objects.get(`results/${repeat.model?.resultKey}`);
    expect(JSON.parse(stored?.body.toString('utf8') ?? '{}')).toMatchObject({
      executionId: 'mg-repeat',
      answer: 'a red circle',
      cachedFromRequestIds: ['req-1'],
    });
    expect(blobs.objects.has('processed/sanitized/acme/mg-repeat')).toBe(true);
    expect(other.model).toBeUndefined();
    expect(other.media?.cacheMissed).toBe(true);
  });
});
