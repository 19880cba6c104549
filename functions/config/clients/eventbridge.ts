import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { RuntimeConfig } from '../settings.js';

export function eventBridgeClient(config: RuntimeConfig): EventBridgeClient {
  return new EventBridgeClient({ region: config.region, endpoint: config.endpoints.eventbridge });
}
