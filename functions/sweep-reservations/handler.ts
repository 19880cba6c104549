import { createDynamoBudgetStore } from '../adapters/dynamodb-budget-store.js';
import { dynamoClient } from '../config/clients/dynamodb.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { stepLog } from '../pipeline/step.js';

const config = loadConfig();
requireSettings(config, ['state']);
const store = createDynamoBudgetStore(dynamoClient(config), config.tables.state);

/**
 * Runs on a schedule (an EventBridge rule, every 5 minutes; the local stack runs it on its own clock):
 * gives back every tenant's reservations whose execution died, so a cap is never held by a dead item
 * until that tenant's next reserve happens to reclaim it.
 */
export const handler = async (): Promise<{ expired: number }> => {
  const expired = await store.sweepExpired({ now: new Date().toISOString() });
  if (expired > 0) stepLog.info('expired budget reservations swept', { expired });
  return { expired };
};
