/**
 * Tenant wiring every step shares: the registry (read through a short cache), the rate buckets and the
 * budget guard whose caps come from the registry, all on the runtime-state table.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoBudgetStore } from '../adapters/dynamodb-budget-store.js';
import { createDynamoRateBuckets } from '../adapters/dynamodb-rate-buckets.js';
import { createDynamoTenantRegistry } from '../adapters/dynamodb-tenant-registry.js';
import { type BudgetGuard, createBudgetGuard } from '../money/budget.js';
import type { EventPublisher, RateBucketStore } from '../ports.js';
import { createTenantDirectory, TENANT_SEED, type TenantDirectory } from '../tenants/registry.js';
import type { RuntimeConfig } from './settings.js';

export interface Tenancy {
  readonly tenants: TenantDirectory;
  readonly buckets: RateBucketStore;
  readonly budget: BudgetGuard;
}

/** The registry as steps read it: a read-through cache of at most `tenantCacheMs`. */
export function createTenantDirectoryFor(
  config: Pick<RuntimeConfig, 'tables' | 'tenantCacheMs'>,
  dynamo: DynamoDBClient,
): TenantDirectory {
  return createTenantDirectory({
    store: createDynamoTenantRegistry(dynamo, config.tables.state),
    cacheMs: config.tenantCacheMs,
  });
}

export function createTenancy(
  config: Pick<RuntimeConfig, 'tables' | 'timeScale' | 'tenantCacheMs'>,
  dynamo: DynamoDBClient,
  publisher: EventPublisher,
): Tenancy {
  const tenants = createTenantDirectoryFor(config, dynamo);
  const budget = createBudgetGuard({
    store: createDynamoBudgetStore(dynamo, config.tables.state),
    budgetOf: (tenant) => tenants.resolve(tenant),
    // A rehearsal lets a dead Lambda's reservation lapse on the same compressed clock as everything else.
    reservationTtlSeconds: Math.max(1, Math.round(TENANT_SEED.reservationTtlSeconds / config.timeScale)),
    seedVersion: TENANT_SEED.version,
    emit: (event) => publisher.publish(event),
  });
  return { tenants, buckets: createDynamoRateBuckets(dynamo, config.tables.state), budget };
}
