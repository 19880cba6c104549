import { describe, expect, it } from 'vitest';
import { createTenantTranscribers } from '../../../functions/config/adapters.js';
import { loadConfig } from '../../../functions/config/settings.js';

describe('transcriber choice', () => {
  it('uses Amazon Transcribe unless told otherwise, with the transcript key from the environment', async () => {
    // Act
    const config = loadConfig({ MEDIAGATE_TRANSCRIPT_KMS_KEY: 'arn:aws:kms:us-east-1:111122223333:key/k' });
    const transcriber = (await createTenantTranscribers(config))('acme');
    // Assess
    expect(config.transcriber).toBe('transcribe');
    expect(config.transcriptKmsKeyId).toBe('arn:aws:kms:us-east-1:111122223333:key/k');
    expect(transcriber?.name).toBe('amazon-transcribe');
  });

  it('has no transcriber under MEDIAGATE_TRANSCRIBER=none, as on the local stack', async () => {
    // Act
    const transcriber = (await createTenantTranscribers(loadConfig({ MEDIAGATE_TRANSCRIBER: 'none' })))(
      'acme',
    );
    // Assess
    expect(transcriber).toBeUndefined();
  });

  it('refuses a transcriber it does not know', () => {
    expect(() => loadConfig({ MEDIAGATE_TRANSCRIBER: 'whisper' })).toThrow(
      'MEDIAGATE_TRANSCRIBER must be one of transcribe, none; got "whisper"',
    );
  });
});
