/**
 * One item's question and answer as both ValidateAndStrip (cache first) and InvokeModel see them: the
 * result-cache key, read from the original's metadata so the instructions never enter the document, and
 * the answer object written for the item in the results bucket.
 */
import type { PipelineState } from '../pipeline/document.js';
import { objectKeys } from '../pipeline/step.js';
import type { BlobStore } from '../ports.js';
import { itemCacheKey } from './result-cache.js';
import type { TaskDefinition } from './tasks.js';

/** The instructions as the client sent them, from the original's object metadata (never in the document). */
export function instructionsOf(metadata: Readonly<Record<string, string>>): string {
  return metadata.instructions ?? '';
}

/** The instructions as the client sent them, read from the original (object metadata). */
export async function instructionsAsSent(
  deps: { readonly blobs: BlobStore; readonly ingestBucket: string },
  item: Pick<PipelineState, 'key' | 'versionId'>,
): Promise<string> {
  return instructionsOf((await deps.blobs.head(deps.ingestBucket, item.key, item.versionId)).metadata);
}

/**
 * The result-cache key of the item's question under a DLP policy version (a hash: safe in the document).
 * The media is the clean copy ValidateAndStrip made: what Preprocess makes of it follows from the task
 * (detail and routes, both in the key through the task's version), so the same clean copy is the same
 * question to the model.
 */
export function questionKeyOf(
  item: Pick<PipelineState, 'tenant'> & { readonly mediaSha256: string },
  instructionsAsSent: string,
  task: TaskDefinition,
  policyVersion: string,
): string {
  return itemCacheKey({
    tenant: item.tenant,
    mediaSha256: item.mediaSha256,
    instructionsAsSent,
    task,
    policyVersion,
  });
}

/**
 * The item's question key: the one ValidateAndStrip recorded while the policy version holds, else anew
 * (a policy changed mid-flight, or a document from before the key was recorded: then the media hash is
 * the processed one).
 */
export async function questionCacheKey(
  deps: { readonly blobs: BlobStore; readonly ingestBucket: string },
  item: Pick<PipelineState, 'tenant' | 'key' | 'versionId' | 'media' | 'processed'>,
  task: TaskDefinition,
  policyVersion: string,
): Promise<string> {
  const recorded = item.media?.question;
  if (recorded?.policyVersion === policyVersion && recorded.taskId === task.id) return recorded.cacheKey;
  const mediaSha256 = item.media?.sha256 ?? item.processed?.sha256;
  if (!mediaSha256) throw new Error('the question key needs the media hash (ValidateAndStrip or Preprocess)');
  return questionKeyOf(
    { tenant: item.tenant, mediaSha256 },
    await instructionsAsSent(deps, item),
    task,
    policyVersion,
  );
}

/** Writes the item's answer where the API and consumers read it; returns its key. */
export async function storeAnswer(
  deps: { readonly blobs: BlobStore; readonly resultsBucket: string },
  state: PipelineState,
  task: TaskDefinition,
  answer: {
    readonly model: string;
    readonly text: string;
    readonly cachedFromRequestIds?: readonly string[];
  },
): Promise<string> {
  const resultKey = objectKeys.result(state);
  const body = {
    executionId: state.executionId,
    task: task.id,
    taskVersion: task.version,
    model: answer.model,
    answer: answer.text,
    // For an answer from the cache: where it first came from; no request was made for this item.
    ...(answer.cachedFromRequestIds ? { cachedFromRequestIds: answer.cachedFromRequestIds } : {}),
  };
  await deps.blobs.put(deps.resultsBucket, resultKey, Buffer.from(JSON.stringify(body)), {
    contentType: 'application/json',
  });
  return resultKey;
}
