import { KMSClient } from '@aws-sdk/client-kms';
import { tracer } from '../../pipeline/step.js';
import type { RuntimeConfig } from '../settings.js';

export function kmsClient(config: RuntimeConfig): KMSClient {
  return tracer.captureAWSv3Client(new KMSClient({ region: config.region }));
}
