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
import { quarantineAndReject } from '../pipeline/quarantine.js';
import { objectKeys, pipelineStep, stepLog } from '../pipeline/step.js';
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
  const [sanitized, instructions] = await Promise.all([
    blobs.get(config.buckets.processed, state.media.sanitizedKey),
    task ? instructionsAsSent({ blobs, ingestBucket: config.buckets.ingest }, state) : undefined,
  ]);
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
  const sha256 = createHash('sha256').update(outcome.bytes).digest('hex');
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
  const processed = {
    ...state,
    processed: {
      key,
      mime: outcome.mime,
      sha256,
      bytes: outcome.bytes.length,
      width: outcome.width,
      height: outcome.height,
      durationSec: outcome.durationSec,
      imageTokens: outcome.imageTokens,
      ...(question ? { question } : {}),
    },
  };
  // Answered already? Then no OCR, no DLP and no model call: the state machine goes to RecordCost. The
  // model-ready copy is written meanwhile (a hit's document points to it as well).
  const [, answered] = await Promise.all([
    blobs.put(config.buckets.processed, key, outcome.bytes, { contentType: outcome.mime }),
    task && question ? answerFromCache(cacheFirst, processed, task, question.cacheKey) : undefined,
  ]);
  if (!task) return processed;
  return answered ?? { ...processed, processed: { ...processed.processed, cacheMissed: true } };
});
