import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { onFirstUse } from '../on-first-use.js';
import type { RuntimeConfig } from '../settings.js';

/**
 * The EventBridge client, made on first use: the steps publish only now and then (a budget threshold
 * crossed), so the SDK module is imported then (a dynamic import stays one in the bundle), not at cold start.
 */
export function eventBridgeClient(config: RuntimeConfig): () => Promise<EventBridgeClient> {
  return onFirstUse(async () => {
    const { EventBridgeClient } = await import('@aws-sdk/client-eventbridge');
    return new EventBridgeClient({ region: config.region, endpoint: config.endpoints.eventbridge });
  });
}
