import type { ComprehendClient } from '@aws-sdk/client-comprehend';
import type { RuntimeConfig } from '../settings.js';

// The SDK module is imported when a client is first made (a dynamic import stays one in the bundle), so a
// function loads it only for the items that need it.
export async function comprehendClient(config: RuntimeConfig): Promise<ComprehendClient> {
  const { ComprehendClient } = await import('@aws-sdk/client-comprehend');
  return new ComprehendClient({ region: config.region });
}
