/**
 * SDK clients, one factory each, so handlers build them once at module scope and tests can swap them.
 * Endpoints come from config: set on the local stack, absent (SDK defaults) in Lambda.
 */
import { ComprehendClient } from '@aws-sdk/client-comprehend';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { TextractClient } from '@aws-sdk/client-textract';
import { TranscribeClient } from '@aws-sdk/client-transcribe';
import { tracer } from '../pipeline/step.js';
import type { RuntimeConfig } from './settings.js';

export function s3Client(config: RuntimeConfig): S3Client {
  return tracer.captureAWSv3Client(
    new S3Client({
      region: config.region,
      endpoint: config.endpoints.s3,
      // Loopback S3 stand-ins have no virtual-host DNS.
      forcePathStyle: config.endpoints.s3 !== undefined,
    }),
  );
}

export function dynamoClient(config: RuntimeConfig): DynamoDBClient {
  return tracer.captureAWSv3Client(
    new DynamoDBClient({ region: config.region, endpoint: config.endpoints.dynamodb }),
  );
}

export function sfnClient(config: RuntimeConfig): SFNClient {
  return tracer.captureAWSv3Client(
    new SFNClient({
      region: config.region,
      endpoint: config.endpoints.sfn,
      // StartSyncExecution goes to `sync-states.<region>`; a loopback endpoint has no such host.
      disableHostPrefix: config.endpoints.sfn !== undefined,
    }),
  );
}

export function eventBridgeClient(config: RuntimeConfig): EventBridgeClient {
  return tracer.captureAWSv3Client(
    new EventBridgeClient({ region: config.region, endpoint: config.endpoints.eventbridge }),
  );
}

export function comprehendClient(config: RuntimeConfig): ComprehendClient {
  return tracer.captureAWSv3Client(new ComprehendClient({ region: config.region }));
}

export function textractClient(config: RuntimeConfig): TextractClient {
  return tracer.captureAWSv3Client(new TextractClient({ region: config.region }));
}

export function transcribeClient(config: RuntimeConfig): TranscribeClient {
  return tracer.captureAWSv3Client(new TranscribeClient({ region: config.region }));
}

export function secretsClient(config: RuntimeConfig): SecretsManagerClient {
  return tracer.captureAWSv3Client(new SecretsManagerClient({ region: config.region }));
}
