import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { tracer } from '../../pipeline/step.js';
import type { RuntimeConfig } from '../settings.js';

export function eventBridgeClient(config: RuntimeConfig): EventBridgeClient {
  return tracer.captureAWSv3Client(
    new EventBridgeClient({ region: config.region, endpoint: config.endpoints.eventbridge }),
  );
}
