import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createDynamoLedger } from '../adapters/dynamodb-ledger.js';
import { createEventBridgePublisher } from '../adapters/eventbridge-publisher.js';
import { createStepDecisionLog } from '../config/adapters.js';
import { dynamoClient, tenantDynamoClients } from '../config/clients/dynamodb.js';
import { eventBridgeClient } from '../config/clients/eventbridge.js';
import { perTenant } from '../config/per-tenant.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { createTenancy } from '../config/tenancy.js';
import { modelLedgerEntries } from '../money/ledger-entries.js';
import type { PipelineState } from '../pipeline/document.js';
import { metrics, pipelineStep, queueDecisionNow } from '../pipeline/step.js';

const config = loadConfig();
requireSettings(config, ['ledger', 'state']);
const audit = await createStepDecisionLog(config, { dynamo: dynamoClient(config) });
const publisher = createEventBridgePublisher(eventBridgeClient(config), config.eventBusName);
// The tenant's ledger, budget and registry items, in a session scoped to the item's tenant.
const dynamoFor = tenantDynamoClients(config);
const storesFor = perTenant((tenant) => {
  const tenancy = createTenancy(config, dynamoFor(tenant), publisher);
  return {
    ledger: createDynamoLedger(dynamoFor(tenant), config.tables.ledger),
    budget: tenancy.budget,
    tenants: tenancy.tenants,
  };
});

/**
 * Writes the model call (and its transcription) into the ledger exactly once, then settles the budget
 * reservation to the actual cost; a retried or redriven step finds both already done.
 */
export const handler = pipelineStep(
  'RecordCost',
  async (state) => {
    // A cache hit comes straight from ValidateAndStrip: it has an answer and nothing processed.
    if (!state.model || (!state.processed && !state.model.cached))
      throw new Error('RecordCost needs the InvokeModel section');
    const { ledger, budget, tenants } = storesFor(state.tenant);
    const entries = modelLedgerEntries(state, new Date().toISOString());
    const costMicroUsd = entries.reduce((sum, entry) => sum + entry.costMicroUsd, 0);
    // A charge's spend metric is labelled with the tenant's tier: read beside the ledger write, not after it.
    const tier = costMicroUsd > 0 ? tenants.resolve(state.tenant).then((tenant) => tenant.tier) : undefined;
    tier?.catch(() => undefined);
    const reservation = state.model.reservation;
    // Independent and each idempotent, so a retry after a partial failure finishes whichever did not land.
    const settled = reservation
      ? budget.settle(state.tenant, reservation.id, costMicroUsd, reservation.held)
      : undefined;
    settled?.catch(() => undefined);
    const written = await Promise.all(entries.map((entry) => ledger.record(entry)));
    if (tier && written.some((w) => w.written)) {
      // Feeds the per-tier hourly-spend alarm (infra/constructs/budget-alarms.ts); counted once per item.
      const metric = metrics.singleMetric();
      metric.addDimension('tier', await tier);
      metric.addMetric('SpendMicroUsd', MetricUnit.Count, costMicroUsd);
    }
    const [main] = entries;
    if (!main) throw new Error('RecordCost produced no ledger entry');
    const next: PipelineState = {
      ...state,
      // A rejection that was billed comes here only to be charged; it stays rejected.
      status: state.status === 'rejected' ? 'rejected' : 'processed',
      cost: {
        ledgerId: main.id,
        ledgerIds: entries.map((entry) => entry.id),
        costMicroUsd,
        priceTableVersion: main.priceTableVersion,
        written: written.every((w) => w.written),
      },
    };
    // The charge is settled once the ledger holds it: it is queued for the audit trail while the budget
    // reservation settles (a failed settle fails the step, whose retry queues the same decision id).
    await Promise.all([settled, queueDecisionNow(next)]);
    return next;
  },
  { audit },
);
