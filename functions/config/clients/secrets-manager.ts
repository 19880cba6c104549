import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RuntimeConfig } from '../settings.js';

export function secretsClient(config: RuntimeConfig): SecretsManagerClient {
  return new SecretsManagerClient({ region: config.region });
}
