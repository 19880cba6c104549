import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineState } from '../../functions/pipeline/document.js';
import { LOCAL_CREDENTIALS } from '../../infra/local/s3.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { upload } from './local-stack-client.js';

describe('Preprocess rejections on the local stack', () => {
  let stack: LocalStack;
  let stateDir: string;
  let s3: S3Client;

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-preprocess-'));
    // A payload cap no photo can meet, so Preprocess (not ValidateAndStrip) is the step that refuses.
    stack = await startLocalStack({ stateDir, environment: { MEDIAGATE_MAX_OUTPUT_BYTES: '2000' } });
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: stack.endpoints.s3,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });
  });

  afterAll(async () => {
    s3?.destroy();
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('quarantines the original of an upload that cannot fit the payload cap (TOO_LARGE)', async () => {
    // Prepare: noise does not compress, even at 256 px and JPEG q40
    const photo = await sharp({
      create: {
        width: 1600,
        height: 1200,
        channels: 3,
        background: '#777',
        noise: { type: 'gaussian', mean: 128, sigma: 60 },
      },
    })
      .jpeg()
      .toBuffer();

    // Act
    const key = await upload(stack, photo, 'image/jpeg', { tenant: 'bigfiles' });
    const event = await stack.waitForOutcome(key);

    // Assess
    const state = event.detail as PipelineState;
    expect(event.detailType).toBe('Media Rejected');
    expect(state.reason).toBe('TOO_LARGE');
    expect(state.steps.map((step) => step.name)).toEqual(['ValidateAndStrip', 'Preprocess']);
    const quarantineKey = `quarantine/bigfiles/${state.executionId}/TOO_LARGE`;
    const listed = await s3.send(
      new ListObjectsV2Command({
        Bucket: stack.environment.QUARANTINE_BUCKET,
        Prefix: `quarantine/bigfiles/${state.executionId}/`,
      }),
    );
    expect(listed.Contents?.map((object) => object.Key)).toEqual([quarantineKey]);
    const kept = await s3.send(
      new GetObjectCommand({ Bucket: stack.environment.QUARANTINE_BUCKET, Key: quarantineKey }),
    );
    // The original as uploaded, not the sanitised copy.
    expect(Buffer.from(await (kept.Body?.transformToByteArray() ?? new Uint8Array()))).toEqual(photo);
    const processed = await s3.send(
      new ListObjectsV2Command({ Bucket: stack.environment.PROCESSED_BUCKET, Prefix: 'processed/bigfiles/' }),
    );
    expect(processed.Contents ?? []).toHaveLength(0);
  });
});
