import { ComprehendClient } from '@aws-sdk/client-comprehend';
import { tracer } from '../../pipeline/step.js';
import type { RuntimeConfig } from '../settings.js';

export function comprehendClient(config: RuntimeConfig): ComprehendClient {
  return tracer.captureAWSv3Client(new ComprehendClient({ region: config.region }));
}
