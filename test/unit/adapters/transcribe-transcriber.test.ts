import {
  ConflictException,
  GetTranscriptionJobCommand,
  StartTranscriptionJobCommand,
  TranscribeClient,
} from '@aws-sdk/client-transcribe';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTranscribeTranscriber,
  parseTranscriptFile,
} from '../../../functions/adapters/transcribe-transcriber.js';
import type { BilledRequest, BlobStore, TranscriptionRequest } from '../../../functions/ports.js';

const transcribe = mockClient(TranscribeClient);

afterEach(() => transcribe.reset());

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const JOB = 'mg-0123abcd-dlp';

function transcriptJson(text: string, endTimes: string[] = ['0.4', '2.75'], language = 'en-US'): string {
  return JSON.stringify({
    jobName: JOB,
    accountId: '111122223333',
    status: 'COMPLETED',
    results: {
      language_code: language,
      transcripts: [{ transcript: text }],
      items: endTimes.map((end_time, i) => ({
        type: 'pronunciation',
        start_time: String(i),
        end_time,
        alternatives: [{ confidence: '0.99', content: 'word' }],
      })),
    },
  });
}

/** Holds the transcript file Transcribe "wrote", and records which objects were read. */
function outputStore(files: Record<string, string>): BlobStore & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async get(bucket, key) {
      reads.push(`${bucket}/${key}`);
      const body = files[`${bucket}/${key}`];
      if (body === undefined) throw new Error('NoSuchKey');
      return { body: Buffer.from(body), metadata: {} };
    },
    head: async () => ({ metadata: {} }),
    put: async () => {},
    copy: async () => {},
  };
}

function request(overrides: Partial<TranscriptionRequest> = {}): TranscriptionRequest {
  return {
    audio: { bucket: 'processed-bucket', key: 'processed/acme/mg-0123abcd' },
    bytes: Buffer.alloc(0),
    mime: 'audio/wav',
    jobName: JOB,
    output: { bucket: 'results-bucket', key: 'transcripts/acme/mg-0123abcd.json' },
    durationSec: 12.3,
    ...overrides,
  };
}

const noSleep = async () => {};

describe('Amazon Transcribe transcriber', () => {
  it('starts one job on the processed object, polls it to completion and reads the transcript from our bucket', async () => {
    // Prepare
    transcribe
      .on(StartTranscriptionJobCommand)
      .resolves({ TranscriptionJob: { TranscriptionJobStatus: 'QUEUED' } })
      .on(GetTranscriptionJobCommand)
      .resolvesOnce({ TranscriptionJob: { TranscriptionJobStatus: 'QUEUED' } })
      .resolvesOnce({ TranscriptionJob: { TranscriptionJobStatus: 'IN_PROGRESS' } })
      .resolves({ TranscriptionJob: { TranscriptionJobStatus: 'COMPLETED', LanguageCode: 'en-US' } });
    const blobs = outputStore({
      'results-bucket/transcripts/acme/mg-0123abcd.json': transcriptJson('the weather is fine'),
    });
    const billed: BilledRequest[] = [];
    const transcriber = createTranscribeTranscriber(new TranscribeClient({ region: 'us-east-1' }), {
      blobs,
      outputKmsKeyId: KEY_ARN,
      sleep: noSleep,
    });
    // Act
    const transcript = await transcriber.transcribe(request({ meter: { record: (r) => billed.push(r) } }));
    // Assess
    expect(transcript).toEqual({ text: 'the weather is fine', seconds: 12.3, languageCode: 'en-US' });
    expect(transcribe.commandCalls(StartTranscriptionJobCommand)).toHaveLength(1);
    expect(transcribe.commandCalls(StartTranscriptionJobCommand)[0]?.args[0].input).toEqual({
      TranscriptionJobName: JOB,
      Media: { MediaFileUri: 's3://processed-bucket/processed/acme/mg-0123abcd' },
      MediaFormat: 'wav',
      LanguageCode: 'en-US',
      OutputBucketName: 'results-bucket',
      OutputKey: 'transcripts/acme/mg-0123abcd.json',
      OutputEncryptionKMSKeyId: KEY_ARN,
    });
    expect(transcribe.commandCalls(GetTranscriptionJobCommand)).toHaveLength(3);
    expect(blobs.reads).toEqual(['results-bucket/transcripts/acme/mg-0123abcd.json']);
    expect(billed).toEqual([{ service: 'transcribe', quantity: 12.3, requestId: JOB }]);
  });

  it('waits for the job an earlier attempt started when the name is taken, without starting another', async () => {
    // Prepare
    transcribe
      .on(StartTranscriptionJobCommand)
      .rejects(new ConflictException({ message: 'The requested job name already exists.', $metadata: {} }))
      .on(GetTranscriptionJobCommand)
      .resolves({ TranscriptionJob: { TranscriptionJobStatus: 'COMPLETED' } });
    const blobs = outputStore({
      'results-bucket/transcripts/acme/mg-0123abcd.json': transcriptJson('call me back'),
    });
    const transcriber = createTranscribeTranscriber(new TranscribeClient({ region: 'us-east-1' }), {
      blobs,
      sleep: noSleep,
    });
    // Act
    const transcript = await transcriber.transcribe(request());
    // Assess
    expect(transcript?.text).toBe('call me back');
    expect(transcribe.commandCalls(StartTranscriptionJobCommand)).toHaveLength(1);
    expect(transcribe.commandCalls(GetTranscriptionJobCommand)[0]?.args[0].input).toEqual({
      TranscriptionJobName: JOB,
    });
  });

  it('fails with a permanent error naming the job and the reason Transcribe gave', async () => {
    // Prepare
    transcribe
      .on(StartTranscriptionJobCommand)
      .resolves({})
      .on(GetTranscriptionJobCommand)
      .resolves({
        TranscriptionJob: {
          TranscriptionJobStatus: 'FAILED',
          FailureReason: 'The media format provided does not match the detected media format.',
        },
      });
    const transcriber = createTranscribeTranscriber(new TranscribeClient({ region: 'us-east-1' }), {
      blobs: outputStore({}),
      sleep: noSleep,
    });
    // Act
    const attempt = transcriber.transcribe(request());
    // Assess
    // The name is the stable code: it is what reaches the Media Failed event through the Catch.
    await expect(attempt).rejects.toMatchObject({
      name: 'TRANSCRIPTION_FAILED',
      code: 'TRANSCRIPTION_FAILED',
    });
    await expect(attempt).rejects.toThrow(
      `Amazon Transcribe job ${JOB} failed: The media format provided does not match the detected media format.`,
    );
  });

  it('asks to be retried once its bounded wait is spent, having paused no longer than the bound', async () => {
    // Prepare
    transcribe
      .on(StartTranscriptionJobCommand)
      .resolves({})
      .on(GetTranscriptionJobCommand)
      .resolves({ TranscriptionJob: { TranscriptionJobStatus: 'IN_PROGRESS' } });
    const pauses: number[] = [];
    const transcriber = createTranscribeTranscriber(new TranscribeClient({ region: 'us-east-1' }), {
      blobs: outputStore({}),
      maxWaitMs: 10_000,
      pollIntervalMs: 1000,
      maxPollIntervalMs: 3000,
      sleep: async (ms) => {
        pauses.push(ms);
      },
    });
    // Act
    const attempt = transcriber.transcribe(request());
    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: 'TranscriptionPending',
      code: 'TRANSCRIPTION_PENDING',
    });
    expect(pauses).toEqual([1000, 1500, 2250, 3000]);
    expect(pauses.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10_000);
    expect(transcribe.commandCalls(StartTranscriptionJobCommand)).toHaveLength(1);
  });

  it('lets Transcribe identify English or Spanish under `auto` and reports the language it found', async () => {
    // Prepare
    transcribe
      .on(StartTranscriptionJobCommand)
      .resolves({})
      .on(GetTranscriptionJobCommand)
      .resolves({ TranscriptionJob: { TranscriptionJobStatus: 'COMPLETED', LanguageCode: 'es-US' } });
    const blobs = outputStore({
      'results-bucket/transcripts/acme/mg-0123abcd.json': transcriptJson('llámame mañana', ['1.0'], 'es-US'),
    });
    const transcriber = createTranscribeTranscriber(new TranscribeClient({ region: 'us-east-1' }), {
      blobs,
      sleep: noSleep,
    });
    // Act
    const transcript = await transcriber.transcribe(request({ languageCode: 'auto', mime: 'audio/mpeg' }));
    // Assess
    const input = transcribe.commandCalls(StartTranscriptionJobCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      IdentifyLanguage: true,
      LanguageOptions: ['en-US', 'es-US'],
      MediaFormat: 'mp3',
    });
    expect(input?.LanguageCode).toBeUndefined();
    expect(transcript?.languageCode).toBe('es-US');
  });

  it('refuses audio it has no Transcribe media format for, before starting a job', async () => {
    // Prepare
    const transcriber = createTranscribeTranscriber(new TranscribeClient({ region: 'us-east-1' }), {
      blobs: outputStore({}),
      sleep: noSleep,
    });
    // Act
    const attempt = transcriber.transcribe(request({ mime: 'audio/aiff' }));
    // Assess
    await expect(attempt).rejects.toThrow('Amazon Transcribe cannot read audio/aiff');
    expect(transcribe.commandCalls(StartTranscriptionJobCommand)).toHaveLength(0);
  });
});

describe('Transcribe output parsing', () => {
  it('joins the transcripts of every channel and takes the end of the last word', () => {
    // Prepare
    const raw = JSON.stringify({
      results: {
        transcripts: [{ transcript: 'first channel.' }, { transcript: 'second channel.' }],
        items: [{ end_time: '1.5' }, { end_time: '7.25' }, { type: 'punctuation' }],
      },
    });
    // Act
    const parsed = parseTranscriptFile(raw);
    // Assess
    expect(parsed).toEqual({ text: 'first channel.\nsecond channel.', lastWordEnd: 7.25 });
  });

  it('bills the end of the last word when Preprocess gave no duration', async () => {
    // Prepare
    transcribe
      .on(StartTranscriptionJobCommand)
      .resolves({})
      .on(GetTranscriptionJobCommand)
      .resolves({ TranscriptionJob: { TranscriptionJobStatus: 'COMPLETED' } });
    const billed: BilledRequest[] = [];
    const transcriber = createTranscribeTranscriber(new TranscribeClient({ region: 'us-east-1' }), {
      blobs: outputStore({
        'results-bucket/transcripts/acme/mg-0123abcd.json': transcriptJson('hello', ['0.5', '3.2']),
      }),
      sleep: noSleep,
    });
    // Act
    const transcript = await transcriber.transcribe(
      request({ durationSec: undefined, meter: { record: (r) => billed.push(r) } }),
    );
    // Assess
    expect(transcript?.seconds).toBe(3.2);
    expect(billed.map((b) => b.quantity)).toEqual([3.2]);
  });

  it.each([
    ['not JSON', '<Error>AccessDenied</Error>', 'not JSON'],
    ['JSON without transcripts', '{"results":{}}', 'no results.transcripts'],
  ])('says so when the output is %s', (_label, raw, message) => {
    expect(() => parseTranscriptFile(raw)).toThrow(message);
  });
});
