import { KMSClient } from '@aws-sdk/client-kms';
import type { RuntimeConfig } from '../settings.js';

export function kmsClient(config: RuntimeConfig): KMSClient {
  return new KMSClient({ region: config.region });
}
