import { createHash } from 'node:crypto';
import { findRoute } from '../invoke-model/routes.js';
import { findTask } from '../invoke-model/tasks.js';
import { createS3BlobStore } from '../shared/adapters/s3-blob-store.js';
import { s3Client } from '../shared/clients.js';
import { loadConfig } from '../shared/config.js';
import { quarantineAndReject } from '../shared/quarantine.js';
import { objectKeys, pipelineStep } from '../shared/step.js';
import { normalizeMedia } from './normalize.js';

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
