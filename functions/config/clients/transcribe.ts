import type { TranscribeClient } from '@aws-sdk/client-transcribe';
import type { RuntimeConfig } from '../settings.js';
import type { CredentialsProvider } from './sts.js';

/**
 * Makes Transcribe clients, each in a tenant's session: Transcribe reads the media and writes the
 * transcript with the caller's rights. The SDK module is imported when the factory is made (a dynamic
 * import stays one in the bundle), so a function loads it only once an audio item needs it.
 */
export async function transcribeClients(
  config: RuntimeConfig,
): Promise<(credentials?: CredentialsProvider) => TranscribeClient> {
  const { TranscribeClient } = await import('@aws-sdk/client-transcribe');
  return (credentials) =>
    new TranscribeClient({ region: config.region, ...(credentials ? { credentials } : {}) });
}
