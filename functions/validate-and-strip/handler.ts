import { createS3BlobStore } from '../adapters/s3-blob-store.js';
import { createStepAuditTrail } from '../config/adapters.js';
import { dynamoClient } from '../config/clients/dynamodb.js';
import { s3Client } from '../config/clients/s3.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { restrictSharpLoaders } from '../media/image.js';
import { validateAndStrip } from '../media/sanitize.js';
import { DEFAULT_TASK_ID, findTask } from '../model/tasks.js';
import { quarantineAndReject } from '../pipeline/quarantine.js';
import { reject } from '../pipeline/reasons.js';
import { objectKeys, pipelineStep } from '../pipeline/step.js';

const config = loadConfig();
requireSettings(config, ['ingest', 'processed', 'quarantine', 'audit', 'state']);
const s3 = s3Client(config);
const blobs = createS3BlobStore(s3);
const audit = await createStepAuditTrail(config, { dynamo: dynamoClient(config), s3 });
// Alone in its Lambda process, this step lets libvips open only the formats we accept. The local stack
// runs every step in one process (no MEDIAGATE_STEP), where a process-wide block would be wrong.
if (config.dedicatedStep === 'validate-and-strip') restrictSharpLoaders();

/** Sniffs the real type, enforces the allowlist and limits, strips metadata; bad input goes to quarantine. */
export const handler = pipelineStep(
  'ValidateAndStrip',
  async (state) => {
    const original = await blobs.get(config.buckets.ingest, state.key, state.versionId);
    const task = original.metadata.task || DEFAULT_TASK_ID;
    const declaredType = original.contentType;
    const outcome = findTask(task)
      ? await validateAndStrip(original.body, { declaredType, limits: config.mediaLimits })
      : ({
          ok: false,
          rejection: reject('UNKNOWN_TASK', `no task named "${task}" in the catalogue`),
        } as const);
    if (!outcome.ok) return quarantineAndReject(blobs, config.buckets, { ...state, task }, outcome.rejection);

    const sanitizedKey = objectKeys.sanitized(state);
    await blobs.put(config.buckets.processed, sanitizedKey, outcome.bytes, {
      contentType: outcome.outputType,
    });
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
      },
    };
  },
  { audit },
);
