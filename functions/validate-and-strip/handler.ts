import { createDynamoDbResultCache } from '../adapters/dynamodb-result-cache.js';
import { createStepDecisionLog, createTenantBlobStores } from '../config/adapters.js';
import { dynamoClient, tenantDynamoClients } from '../config/clients/dynamodb.js';
import { perTenant } from '../config/per-tenant.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { createTenantDirectoryFor } from '../config/tenancy.js';
import { policyForTenant } from '../dlp/policy.js';
import { uploadTypesForTenant } from '../dlp/upload-types.js';
import { restrictSharpLoaders } from '../media/image.js';
import { validateAndStrip } from '../media/sanitize.js';
import { findRoute } from '../model/routes.js';
import { DEFAULT_TASK_ID, findTask } from '../model/tasks.js';
import { quarantineAndReject } from '../pipeline/quarantine.js';
import { type Rejection, reject } from '../pipeline/reasons.js';
import { pipelineStep, rejected, stepLog } from '../pipeline/step.js';
import { storeCleanCopy } from './clean-copy.js';

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
    // The registry and the upload are read side by side (no round trip waits for a registry refresh); a
    // suspended tenant's item stops before anything is done with it (not quarantined: the bytes are not at fault).
    const blobs = blobsFor(state.tenant);
    const reading = blobs.get(config.buckets.ingest, state.key, state.versionId);
    reading.catch(() => undefined);
    const tenant = await tenantsFor(state.tenant).resolve(state.tenant);
    if (tenant.status === 'suspended')
      return rejected(state, reject('TENANT_SUSPENDED', 'the tenant is suspended'));
    const original = await reading;
    const task = original.metadata.task || DEFAULT_TASK_ID;
    const declaredType = original.contentType;
    const quarantine = (rejection: Rejection) =>
      quarantineAndReject(blobs, config.buckets, { ...state, task }, rejection);
    const definition = findTask(task);
    if (!definition) return quarantine(reject('UNKNOWN_TASK', `no task named "${task}" in the catalogue`));
    if (tenant.allowedTasks && !tenant.allowedTasks.includes(task))
      return quarantine(reject('TASK_NOT_ALLOWED', `the tenant may not use the task "${task}"`));
    const firstRoute = definition.routes[0] ? findRoute(definition.routes[0]) : undefined;
    const outcome = await validateAndStrip(original.body, {
      declaredType,
      limits: config.mediaLimits,
      accept: uploadTypesForTenant(state.tenant, tenant.dlpPolicy),
      // PDF pages are rendered at the size Preprocess will plan for this task's model and detail.
      render: { detail: definition.detail, model: firstRoute?.model },
    });
    if (!outcome.ok) return quarantine(outcome.rejection);

    return storeCleanCopy(cacheFirstFor(state.tenant), state, {
      outcome,
      task: definition,
      declaredType,
      metadata: original.metadata,
      dlpPolicy: {
        name: tenant.dlpPolicy,
        version: policyForTenant(state.tenant, tenant.dlpPolicy).version,
      },
    });
  },
  { audit },
);
