import { TranscribeClient } from '@aws-sdk/client-transcribe';
import type { RuntimeConfig } from '../settings.js';
import type { CredentialsProvider } from './sts.js';

/** In a tenant's session: Transcribe reads the media and writes the transcript with the caller's rights. */
export function transcribeClient(config: RuntimeConfig, credentials?: CredentialsProvider): TranscribeClient {
  return new TranscribeClient({ region: config.region, ...(credentials ? { credentials } : {}) });
}
