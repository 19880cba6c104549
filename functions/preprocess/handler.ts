import { createHash } from 'node:crypto';
import { createDynamoDbResultCache } from '../adapters/dynamodb-result-cache.js';
import { createTenantBlobStores } from '../config/adapters.js';
import { tenantDynamoClients } from '../config/clients/dynamodb.js';
import { perTenant } from '../config/per-tenant.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { policyForTenant } from '../dlp/policy.js';
import { normalizeMedia } from '../media/normalize.js';
import { instructionsAsSent, questionKeyOf } from '../model/item-answer.js';
import { findRoute } from '../model/routes.js';
import { findTask } from '../model/tasks.js';
import type { ProcessedPage } from '../pipeline/document.js';
import { quarantineAndReject } from '../pipeline/quarantine.js';
import { objectKeys, pipelineStep, stepLog } from '../pipeline/step.js';
import type { BlobStore } from '../ports.js';
import { answerFromCache } from './cache-first.js';

const config = loadConfig();
requireSettings(config, ['processed', 'results', 'state']);
// The item's tenant's objects and result-cache items, in a session scoped to that tenant.
const blobsFor = await createTenantBlobStores(config);
const dynamoFor = tenantDynamoClients(config);
const cacheFirstFor = perTenant((tenant) => ({
  blobs: blobsFor(tenant),
  cache: createDynamoDbResultCache(dynamoFor(tenant), config.tables.state),
  buckets: config.buckets,
  log: (message: string, fields: Record<string, unknown>) => stepLog.info(message, fields),
}));

/**
 * Resizes images (token-aware) and resamples audio to what the model needs, and hashes the result; an
 * output that cannot fit the payload cap (or bytes that fail to decode) sends the original to quarantine.
 */
export const handler = pipelineStep('Preprocess', async (state) => {
  if (!state.media) throw new Error('Preprocess needs the ValidateAndStrip section');
  const cacheFirst = cacheFirstFor(state.tenant);
  const { blobs } = cacheFirst;
  const task = state.task ? findTask(state.task) : undefined;
  const firstRoute = task?.routes[0] ? findRoute(task.routes[0]) : undefined;
  // The instructions (object metadata of the original) are read beside the bytes: the cache key needs them.
  const instructionsRead = task
    ? instructionsAsSent({ blobs, ingestBucket: config.buckets.ingest }, state)
    : undefined;
  const options = {
    detail: task?.detail,
    model: firstRoute?.model,
    maxOutputBytes: config.maxOutputBytes,
    limits: config.mediaLimits,
  };
  const pageKeys = state.media.pageKeys ?? [state.media.sanitizedKey];
  const key = objectKeys.processed(state);
  const pages: ProcessedPage[] = [];
  const pageBytes: Buffer[] = [];
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
    if (!outcome.ok) {
      await instructionsRead?.catch(() => undefined);
      return quarantineAndReject(blobs, config.buckets, state, outcome.rejection);
    }
    pageBytes.push(outcome.bytes);
    pages.push({
      key: objectKeys.page(key, index + 1),
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
  const paged = state.media.pages !== undefined;
  // DlpCheck reads the processed prefix only: the text layer travels there with the pages.
  const textLayer = state.media.textLayerKey
    ? (await blobs.get(config.buckets.processed, state.media.textLayerKey)).body
    : undefined;
  // A document's hash covers every page in order and the text layer DlpCheck scans with them, so the
  // result and DLP verdict caches tell documents apart.
  const sha256 = paged
    ? createHash('sha256')
        .update(pages.map((page) => page.sha256).join('\n'))
        .update(textLayer ? `\n${createHash('sha256').update(textLayer).digest('hex')}` : '')
        .digest('hex')
    : first.sha256;
  const instructions = await instructionsRead;
  const policyVersion = policyForTenant(state.tenant, state.dlpPolicy).version;
  const question = task
    ? {
        cacheKey: questionKeyOf(
          { tenant: state.tenant, processedSha256: sha256 },
          instructions ?? '',
          task,
          policyVersion,
        ),
        policyVersion,
        taskId: task.id,
      }
    : undefined;
  const textLayerKey = textLayer ? objectKeys.textLayer(key) : undefined;
  const processed = {
    ...state,
    processed: {
      key,
      mime: first.mime,
      sha256,
      bytes: pages.reduce((sum, page) => sum + page.bytes, 0),
      width: first.width || undefined,
      height: first.height || undefined,
      durationSec,
      imageTokens: paged ? sumTokens(pages) : first.imageTokens,
      ...(paged ? { pages } : {}),
      ...(textLayerKey ? { textLayerKey } : {}),
      ...(question ? { question } : {}),
    },
  };
  // Answered already? Then no OCR, no DLP and no model call: the state machine goes to RecordCost. The
  // model-ready pages are written meanwhile (a hit's document points to them as well).
  const [, answered] = await Promise.all([
    writePages(
      blobs,
      pages,
      pageBytes,
      textLayer && textLayerKey ? { key: textLayerKey, body: textLayer } : undefined,
    ),
    task && question ? answerFromCache(cacheFirst, processed, task, question.cacheKey) : undefined,
  ]);
  if (!task) return processed;
  return answered ?? { ...processed, processed: { ...processed.processed, cacheMissed: true } };
});

/** The model-ready pages, and the text layer beside them. */
async function writePages(
  blobs: BlobStore,
  pages: readonly ProcessedPage[],
  bytes: readonly Buffer[],
  textLayer: { readonly key: string; readonly body: Buffer } | undefined,
): Promise<void> {
  await Promise.all([
    ...pages.map((page, index) =>
      blobs.put(config.buckets.processed, page.key, bytes[index] as Buffer, { contentType: page.mime }),
    ),
    textLayer
      ? blobs.put(config.buckets.processed, textLayer.key, textLayer.body, {
          contentType: 'application/json',
        })
      : undefined,
  ]);
}

function sumTokens(pages: readonly ProcessedPage[]): { before: number; after: number } {
  return {
    before: pages.reduce((sum, page) => sum + (page.imageTokens?.before ?? 0), 0),
    after: pages.reduce((sum, page) => sum + (page.imageTokens?.after ?? 0), 0),
  };
}
