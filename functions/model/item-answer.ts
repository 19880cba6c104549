/**
 * One item's question and answer as both Preprocess (cache first) and InvokeModel see them: the
 * result-cache key, read from the original's metadata so the instructions never enter the document, and
 * the answer object written for the item in the results bucket.
 */
import type { PipelineState } from '../pipeline/document.js';
import { objectKeys } from '../pipeline/step.js';
import type { BlobStore } from '../ports.js';
import { itemCacheKey } from './result-cache.js';
import type { TaskDefinition } from './tasks.js';

/** The instructions as the client sent them (object metadata of the original; never in the document). */
export async function instructionsAsSent(
  deps: { readonly blobs: BlobStore; readonly ingestBucket: string },
  item: Pick<PipelineState, 'key' | 'versionId'>,
): Promise<string> {
  const original = await deps.blobs.head(deps.ingestBucket, item.key, item.versionId);
  return original.metadata.instructions ?? '';
}

/** The result-cache key of the item's question under a DLP policy version (a hash: safe in the document). */
export function questionKeyOf(
  item: Pick<PipelineState, 'tenant'> & { readonly processedSha256: string },
  instructionsAsSent: string,
  task: TaskDefinition,
  policyVersion: string,
): string {
  return itemCacheKey({
    tenant: item.tenant,
    processedSha256: item.processedSha256,
    instructionsAsSent,
    task,
    policyVersion,
  });
}

/** The item's question key: the one Preprocess recorded when the policy version still holds, else anew. */
export async function questionCacheKey(
  deps: { readonly blobs: BlobStore; readonly ingestBucket: string },
  item: Pick<PipelineState, 'tenant' | 'key' | 'versionId' | 'processed'> & {
    readonly processedSha256: string;
  },
  task: TaskDefinition,
  policyVersion: string,
): Promise<string> {
  const recorded = item.processed?.question;
  if (recorded?.policyVersion === policyVersion && recorded.taskId === task.id) return recorded.cacheKey;
  return questionKeyOf(item, await instructionsAsSent(deps, item), task, policyVersion);
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
