import { createS3BlobStore } from '../adapters/s3-blob-store.js';
import { s3Client } from '../config/clients/s3.js';
import { loadConfig } from '../config/settings.js';
import { uploadTypesForTenant } from '../dlp/upload-types.js';
import { restrictSharpLoaders } from '../media/image.js';
import { validateAndStrip } from '../media/sanitize.js';
import { findRoute } from '../model/routes.js';
import { DEFAULT_TASK_ID, findTask } from '../model/tasks.js';
import { quarantineAndReject } from '../pipeline/quarantine.js';
import { reject } from '../pipeline/reasons.js';
import { objectKeys, pipelineStep } from '../pipeline/step.js';

const config = loadConfig();
const blobs = createS3BlobStore(s3Client(config));
// Alone in its Lambda process, this step lets libvips open only the formats we accept. The local stack
// runs every step in one process (no MEDIAGATE_STEP), where a process-wide block would be wrong.
if (config.dedicatedStep === 'validate-and-strip') restrictSharpLoaders();

/** Sniffs the real type, enforces the allowlist and limits, strips metadata; bad input goes to quarantine. */
export const handler = pipelineStep('ValidateAndStrip', async (state) => {
  const original = await blobs.get(config.buckets.ingest, state.key, state.versionId);
  const task = original.metadata.task || DEFAULT_TASK_ID;
  const declaredType = original.contentType;
  const definition = findTask(task);
  const firstRoute = definition?.routes[0] ? findRoute(definition.routes[0]) : undefined;
  const outcome = definition
    ? await validateAndStrip(original.body, {
        declaredType,
        limits: config.mediaLimits,
        accept: uploadTypesForTenant(state.tenant),
        // PDF pages are rendered at the size Preprocess will plan for this task's model and detail.
        render: { detail: definition.detail, model: firstRoute?.model },
      })
    : ({ ok: false, rejection: reject('UNKNOWN_TASK', `no task named "${task}" in the catalogue`) } as const);
  if (!outcome.ok) return quarantineAndReject(blobs, config.buckets, { ...state, task }, outcome.rejection);

  const sanitizedKey = objectKeys.sanitized(state);
  const pages = outcome.pages ?? [{ bytes: outcome.bytes, mime: outcome.outputType, text: '', lines: [] }];
  for (const [index, page] of pages.entries()) {
    await blobs.put(config.buckets.processed, objectKeys.page(sanitizedKey, index + 1), page.bytes, {
      contentType: page.mime,
    });
  }
  const textLayerKey = objectKeys.textLayer(sanitizedKey);
  const hasText = pages.some((page) => page.text.trim() !== '');
  if (hasText) {
    const layer = { pages: pages.map(({ text, lines }) => ({ text, lines })) };
    await blobs.put(config.buckets.processed, textLayerKey, Buffer.from(JSON.stringify(layer)), {
      contentType: 'application/json',
    });
  }
  return {
    ...state,
    task,
    media: {
      kind: outcome.kind,
      inputType: outcome.inputType,
      declaredType,
      sanitizedKey,
      removed: outcome.removed,
      ...(outcome.sourceWidth && outcome.sourceHeight
        ? { sourceWidth: outcome.sourceWidth, sourceHeight: outcome.sourceHeight }
        : {}),
      ...(outcome.pages
        ? {
            pages: pages.length,
            pageKeys: pages.map((_, index) => objectKeys.page(sanitizedKey, index + 1)),
            ...(hasText ? { textLayerKey } : {}),
          }
        : {}),
    },
  };
});
