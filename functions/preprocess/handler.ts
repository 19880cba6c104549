import { createHash } from 'node:crypto';
import { createS3BlobStore } from '../adapters/s3-blob-store.js';
import { s3Client } from '../config/clients/s3.js';
import { loadConfig } from '../config/settings.js';
import { normalizeMedia } from '../media/normalize.js';
import { findRoute } from '../model/routes.js';
import { findTask } from '../model/tasks.js';
import { quarantineAndReject } from '../pipeline/quarantine.js';
import { objectKeys, pipelineStep } from '../pipeline/step.js';

const config = loadConfig();
const blobs = createS3BlobStore(s3Client(config));

/**
 * Resizes images (token-aware) and resamples audio to what the model needs, and hashes the result; an
 * output that cannot fit the payload cap (or bytes that fail to decode) sends the original to quarantine.
 */
export const handler = pipelineStep('Preprocess', async (state) => {
  if (!state.media) throw new Error('Preprocess needs the ValidateAndStrip section');
  const task = state.task ? findTask(state.task) : undefined;
  const firstRoute = task?.routes[0] ? findRoute(task.routes[0]) : undefined;
  const sanitized = await blobs.get(config.buckets.processed, state.media.sanitizedKey);
  const mime = sanitized.contentType ?? state.media.inputType;

  const outcome = await normalizeMedia(sanitized.body, state.media.kind, mime, {
    detail: task?.detail,
    model: firstRoute?.model,
    maxOutputBytes: config.maxOutputBytes,
    limits: config.mediaLimits,
    ...(state.media.sourceWidth && state.media.sourceHeight
      ? { sourceSize: { width: state.media.sourceWidth, height: state.media.sourceHeight } }
      : {}),
  });
  if (!outcome.ok) return quarantineAndReject(blobs, config.buckets, state, outcome.rejection);

  const key = objectKeys.processed(state);
  await blobs.put(config.buckets.processed, key, outcome.bytes, { contentType: outcome.mime });
  return {
    ...state,
    processed: {
      key,
      mime: outcome.mime,
      sha256: createHash('sha256').update(outcome.bytes).digest('hex'),
      bytes: outcome.bytes.length,
      width: outcome.width,
      height: outcome.height,
      durationSec: outcome.durationSec,
      imageTokens: outcome.imageTokens,
    },
  };
});
