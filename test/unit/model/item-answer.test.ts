import { describe, expect, it } from 'vitest';
import { questionCacheKey, questionKeyOf } from '../../../functions/model/item-answer.js';
import { findTask } from '../../../functions/model/tasks.js';
import { memoryBlobs } from '../../fixtures/memory-blobs.js';

const task = findTask('describe');
if (!task) throw new Error('the describe task is in the catalogue');

async function itemWithInstructions(instructions: string) {
  const blobs = memoryBlobs();
  await blobs.put('ingest', 'uploads/acme/a.jpg', Buffer.from('x'), { metadata: { instructions } });
  const item = {
    tenant: 'acme',
    key: 'uploads/acme/a.jpg',
    versionId: undefined,
    mediaSha256: 'f'.repeat(64),
  };
  return { blobs, item };
}

describe('the question cache key', () => {
  it('is reused from the document while the policy version and task hold, without reading the original', async () => {
    // Prepare
    const { blobs, item } = await itemWithInstructions('what is it');
    const recorded = { cacheKey: 'recorded-key', policyVersion: 'p@1', taskId: task.id };
    blobs.objects.clear();

    // Act
    const key = await questionCacheKey(
      { blobs, ingestBucket: 'ingest' },
      { ...item, media: { question: recorded } as never },
      task,
      'p@1',
    );

    // Assess
    expect(key).toBe('recorded-key');
  });

  it('is computed anew from the instructions when the DLP policy version changed since ValidateAndStrip', async () => {
    // Prepare
    const { blobs, item } = await itemWithInstructions('what is it');
    const stale = {
      cacheKey: questionKeyOf(item, 'what is it', task, 'p@1'),
      policyVersion: 'p@1',
      taskId: task.id,
    };

    // Act
    const key = await questionCacheKey(
      { blobs, ingestBucket: 'ingest' },
      { ...item, media: { question: stale, sha256: item.mediaSha256 } as never },
      task,
      'p@2',
    );

    // Assess: a new policy never meets an answer cached under the old one.
    expect(key).toBe(questionKeyOf(item, 'what is it', task, 'p@2'));
    expect(key).not.toBe(stale.cacheKey);
  });

  it('falls back to the processed hash for a document from before ValidateAndStrip recorded the key', async () => {
    // Prepare: a redriven item whose document has no media hash.
    const { blobs, item } = await itemWithInstructions('what is it');

    // Act
    const key = await questionCacheKey(
      { blobs, ingestBucket: 'ingest' },
      { ...item, media: {} as never, processed: { sha256: 'e'.repeat(64) } as never },
      task,
      'p@1',
    );

    // Assess
    expect(key).toBe(questionKeyOf({ ...item, mediaSha256: 'e'.repeat(64) }, 'what is it', task, 'p@1'));
  });

  it('differs by instructions, tenant and policy version', () => {
    const base = { tenant: 'acme', mediaSha256: 'f'.repeat(64) };
    const keys = new Set([
      questionKeyOf(base, 'a', task, 'p@1'),
      questionKeyOf(base, 'b', task, 'p@1'),
      questionKeyOf({ ...base, tenant: 'other' }, 'a', task, 'p@1'),
      questionKeyOf(base, 'a', task, 'p@2'),
    ]);
    expect(keys.size).toBe(4);
  });
});
