import { ComprehendClient } from '@aws-sdk/client-comprehend';
import type { RuntimeConfig } from '../settings.js';

export function comprehendClient(config: RuntimeConfig): ComprehendClient {
  return new ComprehendClient({ region: config.region });
}
