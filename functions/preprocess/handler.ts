import { createHash } from 'node:crypto';
import { createDynamoDbResultCache } from '../adapters/dynamodb-result-cache.js';
import { createS3BlobStore } from '../adapters/s3-blob-store.js';
import { dynamoClient } from '../config/clients/dynamodb.js';
import { s3Client } from '../config/clients/s3.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { normalizeMedia } from '../media/normalize.js';
import { findRoute } from '../model/routes.js';
import { findTask } from '../model/tasks.js';
import type { ProcessedPage } from '../pipeline/document.js';
import { quarantineAndReject } from '../pipeline/quarantine.js';
import { objectKeys, pipelineStep, stepLog } from '../pipeline/step.js';
import { answerFromCache } from './cache-first.js';

const config = loadConfig();
requireSettings(config, ['processed', 'results', 'state']);
const blobs = createS3BlobStore(s3Client(config));
const cacheFirst = {
  blobs,
  cache: createDynamoDbResultCache(dynamoClient(config), config.tables.state),
  buckets: config.buckets,
  log: (message: string, fields: Record<string, unknown>) => stepLog.info(message, fields),
};

/**
 * Resizes images (token-aware) and resamples audio to what the model needs, and hashes the result; an
 * output that cannot fit the payload cap (or bytes that fail to decode) sends the original to quarantine.
 */
export const handler = pipelineStep('Preprocess', async (state) => {
  if (!state.media) throw new Error('Preprocess needs the ValidateAndStrip section');
  const task = state.task ? findTask(state.task) : undefined;
  const firstRoute = task?.routes[0] ? findRoute(task.routes[0]) : undefined;
  const options = {
    detail: task?.detail,
    model: firstRoute?.model,
    maxOutputBytes: config.maxOutputBytes,
    limits: config.mediaLimits,
  };
  const pageKeys = state.media.pageKeys ?? [state.media.sanitizedKey];
  const key = objectKeys.processed(state);
  const pages: ProcessedPage[] = [];
  let durationSec: number | undefined;
  for (const [index, sanitizedKey] of pageKeys.entries()) {
    const sanitized = await blobs.get(config.buckets.processed, sanitizedKey);
    const mime = sanitized.contentType ?? state.media.inputType;
    const outcome = await normalizeMedia(sanitized.body, state.media.kind, mime, {
      ...options,
      // A PDF page has no pixel size of its own: its "before" is the page as rendered.
      ...(state.media.sourceWidth && state.media.sourceHeight && !state.media.pages
        ? { sourceSize: { width: state.media.sourceWidth, height: state.media.sourceHeight } }
        : {}),
    });
    if (!outcome.ok) return quarantineAndReject(blobs, config.buckets, state, outcome.rejection);
    const pageKey = objectKeys.page(key, index + 1);
    await blobs.put(config.buckets.processed, pageKey, outcome.bytes, { contentType: outcome.mime });
    pages.push({
      key: pageKey,
      mime: outcome.mime,
      sha256: createHash('sha256').update(outcome.bytes).digest('hex'),
      bytes: outcome.bytes.length,
      width: outcome.width ?? 0,
      height: outcome.height ?? 0,
      ...(outcome.imageTokens ? { imageTokens: outcome.imageTokens } : {}),
    });
    durationSec ??= outcome.durationSec;
  }
  const first = pages[0] as ProcessedPage;
  // DlpCheck reads the processed prefix only: the text layer travels there with the pages.
  let textLayerKey: string | undefined;
  if (state.media.textLayerKey) {
    const layer = await blobs.get(config.buckets.processed, state.media.textLayerKey);
    textLayerKey = objectKeys.textLayer(key);
    await blobs.put(config.buckets.processed, textLayerKey, layer.body, { contentType: 'application/json' });
  }
  const paged = state.media.pages !== undefined;
  const processed = {
    ...state,
    processed: {
      key,
      mime: first.mime,
      // A document's hash covers every page in order, so the result cache tells documents apart.
      sha256: paged
        ? createHash('sha256')
            .update(pages.map((page) => page.sha256).join('\n'))
            .digest('hex')
        : first.sha256,
      bytes: pages.reduce((sum, page) => sum + page.bytes, 0),
      width: first.width || undefined,
      height: first.height || undefined,
      durationSec,
      imageTokens: paged ? sumTokens(pages) : first.imageTokens,
      ...(paged ? { pages } : {}),
      ...(textLayerKey ? { textLayerKey } : {}),
    },
  };
  // Answered already? Then no OCR, no DLP and no model call: the state machine goes to RecordCost.
  if (!task) return processed;
  return (
    (await answerFromCache(cacheFirst, processed, task)) ?? {
      ...processed,
      processed: { ...processed.processed, cacheMissed: true },
    }
  );
});

function sumTokens(pages: readonly ProcessedPage[]): { before: number; after: number } {
  return {
    before: pages.reduce((sum, page) => sum + (page.imageTokens?.before ?? 0), 0),
    after: pages.reduce((sum, page) => sum + (page.imageTokens?.after ?? 0), 0),
  };
}
