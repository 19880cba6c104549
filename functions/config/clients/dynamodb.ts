import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tracer } from '../../pipeline/step.js';
import type { RuntimeConfig } from '../settings.js';

export function dynamoClient(config: RuntimeConfig): DynamoDBClient {
  return tracer.captureAWSv3Client(
    new DynamoDBClient({ region: config.region, endpoint: config.endpoints.dynamodb }),
  );
}
