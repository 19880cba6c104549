import { createDynamoDbResultCache } from '../adapters/dynamodb-result-cache.js';
import { createStepDecisionLog, createTenantBlobStores } from '../config/adapters.js';
import { dynamoClient, tenantDynamoClients } from '../config/clients/dynamodb.js';
import { perTenant } from '../config/per-tenant.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { createTenantDirectoryFor } from '../config/tenancy.js';
import { policyForTenant } from '../dlp/policy.js';
import { uploadTypesForTenant } from '../dlp/upload-types.js';
import { instructionsFingerprint } from '../dlp/verdict-cache.js';
import { contentSha256, sha256Hex } from '../media/content-hash.js';
import { restrictSharpLoaders } from '../media/image.js';
import { validateAndStrip } from '../media/sanitize.js';
import { answerFromCache } from '../model/cache-first.js';
import { instructionsOf, questionKeyOf } from '../model/item-answer.js';
import { findRoute } from '../model/routes.js';
import { DEFAULT_TASK_ID, findTask } from '../model/tasks.js';
import type { MediaSection, PipelineState } from '../pipeline/document.js';
import { quarantineAndReject } from '../pipeline/quarantine.js';
import { reject } from '../pipeline/reasons.js';
import { objectKeys, pipelineStep, queueDecisionNow, rejected, stepLog } from '../pipeline/step.js';

const config = loadConfig();
requireSettings(config, ['ingest', 'processed', 'quarantine', 'results', 'state']);
// The audit trail is the operator's record: decisions are queued with the function's own role (docs/audit.md).
const audit = await createStepDecisionLog(config, { dynamo: dynamoClient(config) });
// The item's tenant's objects and registry record, in a session scoped to that tenant (docs/architecture.md).
const blobsFor = await createTenantBlobStores(config);
const dynamoFor = tenantDynamoClients(config);
const tenantsFor = perTenant((tenant) => createTenantDirectoryFor(config, dynamoFor(tenant)));
const cacheFirstFor = perTenant((tenant) => ({
  blobs: blobsFor(tenant),
  cache: createDynamoDbResultCache(dynamoFor(tenant), config.tables.state),
  buckets: config.buckets,
  log: (message: string, fields: Record<string, unknown>) => stepLog.info(message, fields),
}));
// Alone in its Lambda process, this step lets libvips open only the formats we accept. The local stack
// runs every step in one process (no MEDIAGATE_STEP), where a process-wide block would be wrong.
if (config.dedicatedStep === 'validate-and-strip') restrictSharpLoaders();

/**
 * Sniffs the real type, enforces the allowlist and limits, strips metadata; bad input goes to quarantine.
 * The clean copy is then looked up in the result cache (cache first): a question answered before goes
 * straight to RecordCost, with no resizing, OCR, DLP or model call.
 */
export const handler = pipelineStep(
  'ValidateAndStrip',
  async (state) => {
    // The registry first: a suspended tenant's item costs nothing further (not quarantined: the bytes are not at fault).
    const tenant = await tenantsFor(state.tenant).resolve(state.tenant);
    if (tenant.status === 'suspended')
      return rejected(state, reject('TENANT_SUSPENDED', 'the tenant is suspended'));
    const blobs = blobsFor(state.tenant);
    const original = await blobs.get(config.buckets.ingest, state.key, state.versionId);
    const task = original.metadata.task || DEFAULT_TASK_ID;
    const declaredType = original.contentType;
    const definition = findTask(task);
    const firstRoute = definition?.routes[0] ? findRoute(definition.routes[0]) : undefined;
    const outcome = !definition
      ? ({
          ok: false,
          rejection: reject('UNKNOWN_TASK', `no task named "${task}" in the catalogue`),
        } as const)
      : tenant.allowedTasks && !tenant.allowedTasks.includes(task)
        ? ({
            ok: false,
            rejection: reject('TASK_NOT_ALLOWED', `the tenant may not use the task "${task}"`),
          } as const)
        : await validateAndStrip(original.body, {
            declaredType,
            limits: config.mediaLimits,
            accept: uploadTypesForTenant(state.tenant, tenant.dlpPolicy),
            // PDF pages are rendered at the size Preprocess will plan for this task's model and detail.
            render: { detail: definition.detail, model: firstRoute?.model },
          });
    if (!outcome.ok || !definition) {
      const rejection = outcome.ok ? reject('UNKNOWN_TASK', `no task named "${task}"`) : outcome.rejection;
      return quarantineAndReject(blobs, config.buckets, { ...state, task }, rejection);
    }

    const sanitizedKey = objectKeys.sanitized(state);
    const pages = outcome.pages ?? [{ bytes: outcome.bytes, mime: outcome.outputType, text: '', lines: [] }];
    const textLayerKey = objectKeys.textLayer(sanitizedKey);
    const hasText = pages.some((page) => page.text.trim() !== '');
    const textLayer = hasText
      ? Buffer.from(JSON.stringify({ pages: pages.map(({ text, lines }) => ({ text, lines })) }))
      : undefined;
    const sha256 = contentSha256(
      pages.map((page) => sha256Hex(page.bytes)),
      textLayer,
      outcome.pages !== undefined,
    );
    const policyVersion = policyForTenant(state.tenant, tenant.dlpPolicy).version;
    const question = {
      cacheKey: questionKeyOf(
        { tenant: state.tenant, mediaSha256: sha256 },
        instructionsOf(original.metadata),
        definition,
        policyVersion,
      ),
      policyVersion,
      taskId: definition.id,
    };
    const media: MediaSection = {
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
      sha256,
      question,
      instructionsFingerprint: instructionsFingerprint(state.tenant, original.metadata.instructions),
    };
    const validated: PipelineState = {
      ...state,
      task,
      ...(tenant.dlpPolicy ? { dlpPolicy: tenant.dlpPolicy } : {}),
      media,
    };
    // The clean copy is written while the cache is asked (a hit's document points to it as well), and the
    // verdict, settled now, is queued for the audit trail beside them.
    const [answered] = await Promise.all([
      answerFromCache(cacheFirstFor(state.tenant), validated, definition, question.cacheKey),
      queueDecisionNow(validated),
      ...pages.map((page, index) =>
        blobs.put(config.buckets.processed, objectKeys.page(sanitizedKey, index + 1), page.bytes, {
          contentType: page.mime,
        }),
      ),
      textLayer
        ? blobs.put(config.buckets.processed, textLayerKey, textLayer, { contentType: 'application/json' })
        : undefined,
    ]);
    return answered ?? { ...validated, media: { ...media, cacheMissed: true } };
  },
  { audit },
);
