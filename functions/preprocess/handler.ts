import { createTenantBlobStores } from '../config/adapters.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { contentSha256, sha256Hex } from '../media/content-hash.js';
import { normalizeMedia } from '../media/normalize.js';
import { findRoute } from '../model/routes.js';
import { findTask } from '../model/tasks.js';
import type { ProcessedPage } from '../pipeline/document.js';
import { putPages } from '../pipeline/page-objects.js';
import { quarantineAndReject } from '../pipeline/quarantine.js';
import { objectKeys, pipelineStep } from '../pipeline/step.js';

const config = loadConfig();
requireSettings(config, ['processed']);
// The item's tenant's objects, in a session scoped to that tenant.
const blobsFor = await createTenantBlobStores(config);

/**
 * Resizes images (token-aware) and resamples audio to what the model needs, and hashes the result; an
 * output that cannot fit the payload cap (or bytes that fail to decode) sends the original to quarantine.
 */
export const handler = pipelineStep('Preprocess', async (state) => {
  if (!state.media) throw new Error('Preprocess needs the ValidateAndStrip section');
  const blobs = blobsFor(state.tenant);
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
    if (!outcome.ok) return quarantineAndReject(blobs, config.buckets, state, outcome.rejection);
    pageBytes.push(outcome.bytes);
    pages.push({
      key: objectKeys.page(key, index + 1),
      mime: outcome.mime,
      sha256: sha256Hex(outcome.bytes),
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
  // A document's hash covers every page in order and the text layer DlpCheck scans with them, so the DLP
  // verdict cache tells documents apart.
  const sha256 = contentSha256(
    pages.map((page) => page.sha256),
    textLayer,
    paged,
  );
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
    },
  };
  await putPages(
    blobs,
    config.buckets.processed,
    pages.map((page, index) => ({ key: page.key, bytes: pageBytes[index] as Buffer, mime: page.mime })),
    textLayer && textLayerKey ? { key: textLayerKey, body: textLayer } : undefined,
  );
  return processed;
});

function sumTokens(pages: readonly ProcessedPage[]): { before: number; after: number } {
  return {
    before: pages.reduce((sum, page) => sum + (page.imageTokens?.before ?? 0), 0),
    after: pages.reduce((sum, page) => sum + (page.imageTokens?.after ?? 0), 0),
  };
}
