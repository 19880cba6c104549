import type { TextractClient } from '@aws-sdk/client-textract';
import type { RuntimeConfig } from '../settings.js';

// The SDK module is imported when a client is first made (a dynamic import stays one in the bundle), so a
// function loads it only for the items that need it.
export async function textractClient(config: RuntimeConfig): Promise<TextractClient> {
  const { TextractClient } = await import('@aws-sdk/client-textract');
  return new TextractClient({ region: config.region });
}
