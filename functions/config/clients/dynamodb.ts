import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RuntimeConfig } from '../settings.js';

export function dynamoClient(config: RuntimeConfig): DynamoDBClient {
  return new DynamoDBClient({ region: config.region, endpoint: config.endpoints.dynamodb });
}
