import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { tracer } from '../../pipeline/step.js';
import type { RuntimeConfig } from '../settings.js';

export function secretsClient(config: RuntimeConfig): SecretsManagerClient {
  return tracer.captureAWSv3Client(new SecretsManagerClient({ region: config.region }));
}
