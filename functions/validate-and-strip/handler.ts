import { createStepDecisionLog, createTenantBlobStores } from '../config/adapters.js';
import { dynamoClient, tenantDynamoClients } from '../config/clients/dynamodb.js';
import { perTenant } from '../config/per-tenant.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { createTenantDirectoryFor } from '../config/tenancy.js';
import { uploadTypesForTenant } from '../dlp/upload-types.js';
import { restrictSharpLoaders } from '../media/image.js';
import { validateAndStrip } from '../media/sanitize.js';
import { findRoute } from '../model/routes.js';
import { DEFAULT_TASK_ID, findTask } from '../model/tasks.js';
import { quarantineAndReject } from '../pipeline/quarantine.js';
import { reject } from '../pipeline/reasons.js';
import { objectKeys, pipelineStep, rejected } from '../pipeline/step.js';

const config = loadConfig();
requireSettings(config, ['ingest', 'processed', 'quarantine', 'state']);
// The audit trail is the operator's record: decisions are queued with the function's own role (docs/audit.md).
const audit = await createStepDecisionLog(config, { dynamo: dynamoClient(config) });
// The item's tenant's objects and registry record, in a session scoped to that tenant (docs/architecture.md).
const blobsFor = await createTenantBlobStores(config);
const dynamoFor = tenantDynamoClients(config);
const tenantsFor = perTenant((tenant) => createTenantDirectoryFor(config, dynamoFor(tenant)));
// Alone in its Lambda process, this step lets libvips open only the formats we accept. The local stack
// runs every step in one process (no MEDIAGATE_STEP), where a process-wide block would be wrong.
if (config.dedicatedStep === 'validate-and-strip') restrictSharpLoaders();

/** Sniffs the real type, enforces the allowlist and limits, strips metadata; bad input goes to quarantine. */
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
      ...(tenant.dlpPolicy ? { dlpPolicy: tenant.dlpPolicy } : {}),
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
  },
  { audit },
);
