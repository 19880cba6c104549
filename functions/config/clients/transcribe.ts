import { TranscribeClient } from '@aws-sdk/client-transcribe';
import type { RuntimeConfig } from '../settings.js';

export function transcribeClient(config: RuntimeConfig): TranscribeClient {
  return new TranscribeClient({ region: config.region });
}
