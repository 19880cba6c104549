import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { perTenant } from '../per-tenant.js';
import type { RuntimeConfig } from '../settings.js';
import { type CredentialsProvider, tenantCredentials } from './sts.js';

/** `credentials`: a tenant session's; undefined for the process's own (organisation-wide items). */
export function dynamoClient(config: RuntimeConfig, credentials?: CredentialsProvider): DynamoDBClient {
  return new DynamoDBClient({
    region: config.region,
    endpoint: config.endpoints.dynamodb,
    ...(credentials ? { credentials } : {}),
  });
}

/** One DynamoDB client per tenant for the tenant's items (`TENANT#<tenant>…`), in that tenant's session. */
export function tenantDynamoClients(config: RuntimeConfig): (tenant: string) => DynamoDBClient {
  const credentialsFor = tenantCredentials(config);
  return perTenant((tenant) => dynamoClient(config, credentialsFor(tenant)));
}
