import { TextractClient } from '@aws-sdk/client-textract';
import { tracer } from '../../pipeline/step.js';
import type { RuntimeConfig } from '../settings.js';

export function textractClient(config: RuntimeConfig): TextractClient {
  return tracer.captureAWSv3Client(new TextractClient({ region: config.region }));
}
