import { TranscribeClient } from '@aws-sdk/client-transcribe';
import { tracer } from '../../pipeline/step.js';
import type { RuntimeConfig } from '../settings.js';

export function transcribeClient(config: RuntimeConfig): TranscribeClient {
  return tracer.captureAWSv3Client(new TranscribeClient({ region: config.region }));
}
