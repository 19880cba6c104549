/**
 * Cache first: as soon as ValidateAndStrip has the clean copy, the same question about the same media
 * from the same tenant under the same DLP policy is answered from the result cache, before resizing, OCR,
 * DLP and the model run. The state machine then goes straight to RecordCost, which writes the cache hit
 * at zero cost. A blocked item never produced an answer, so nothing a policy blocks can be served from here.
 */
import type { PipelineState } from '../pipeline/document.js';
import { type BlobStore, type ResultCache, ZERO_USAGE } from '../ports.js';
import { storeAnswer } from './item-answer.js';
import type { TaskDefinition } from './tasks.js';

export interface CacheFirstDeps {
  readonly blobs: BlobStore;
  readonly cache: ResultCache;
  readonly buckets: { readonly ingest: string; readonly results: string };
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * The document answered from the cache under the item's question key, or undefined on a miss (the item
 * goes on to Preprocess and DLP).
 */
export async function answerFromCache(
  deps: CacheFirstDeps,
  state: PipelineState,
  task: TaskDefinition,
  key: string,
): Promise<PipelineState | undefined> {
  const hit = await deps.cache.get(state.tenant, key).catch((error: unknown) => {
    // The cache is an optimisation: a failing one sends the item the long way, never fails it.
    deps.log?.('result cache read failed; treating as a miss', { error: String(error) });
    return undefined;
  });
  if (!hit) return undefined;
  const resultKey = await storeAnswer(
    { blobs: deps.blobs, resultsBucket: deps.buckets.results },
    state,
    task,
    {
      model: hit.model,
      text: hit.text,
      cachedFromRequestIds: hit.requestIds,
    },
  );
  return {
    ...state,
    model: {
      taskId: task.id,
      taskVersion: task.version,
      route: hit.route,
      model: hit.model,
      requestIds: [],
      resultKey,
      cached: true,
      attempts: 0,
      usage: ZERO_USAGE,
      estimateMicroUsd: 0,
      costSource: 'usage',
    },
  };
}
