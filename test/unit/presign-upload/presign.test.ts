import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { parsePresignRequest, presignUpload } from '../../../functions/presign-upload/presign.js';

describe('presign request parsing', () => {
  it('accepts a tenant, an allowlisted declared type, a task and short instructions', () => {
    expect(
      parsePresignRequest({
        tenant: 'acme',
        contentType: 'audio/mpeg',
        task: 'describe',
        instructions: 'hi',
      }),
    ).toEqual({
      tenant: 'acme',
      contentType: 'audio/mpeg',
      task: 'describe',
      instructions: 'hi',
    });
  });

  it('refuses tenants that could escape their prefix, non-media types and oversized instructions', () => {
    expect(parsePresignRequest({ tenant: 'a/b', contentType: 'image/png' })).toMatch(/tenant/);
    expect(parsePresignRequest({ tenant: 'Acme', contentType: 'image/png' })).toMatch(/tenant/);
    expect(parsePresignRequest({ tenant: 'acme', contentType: 'text/html' })).toMatch(/contentType/);
    expect(
      parsePresignRequest({ tenant: 'acme', contentType: 'image/png', instructions: 'x'.repeat(2000) }),
    ).toMatch(/instructions/);
    expect(parsePresignRequest('nope')).toMatch(/JSON object/);
  });

  it('accepts PDFs and HEIC/HEIF photos only for tenants whose policy takes them', () => {
    for (const contentType of ['application/pdf', 'image/heic', 'image/heif']) {
      expect(parsePresignRequest({ tenant: 'acme', contentType })).toMatchObject({ contentType });
      expect(parsePresignRequest({ tenant: 'images-only', contentType })).toMatch(/contentType must be/);
    }
    expect(parsePresignRequest({ tenant: 'images-only', contentType: 'image/jpeg' })).toMatchObject({
      contentType: 'image/jpeg',
    });
  });

  it('takes the policy the tenant registry names over the file default, as ValidateAndStrip does', () => {
    // acme's file policy takes PDFs; a registry record naming images-only does not, and the reverse.
    expect(parsePresignRequest({ contentType: 'application/pdf' }, 'acme', 'images-only')).toMatch(
      /contentType must be/,
    );
    expect(parsePresignRequest({ contentType: 'application/pdf' }, 'images-only', 'default')).toMatchObject({
      tenant: 'images-only',
      contentType: 'application/pdf',
    });
  });
});

describe('presigned POST', () => {
  it('pins key, size range, declared type and metadata in the signed policy, and expires', async () => {
    // Prepare
    const client = new S3Client({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
    });
    const now = new Date('2026-11-24T12:00:00Z');

    // Act
    const upload = await presignUpload(
      { client, bucket: 'ingest', maxBytes: 5_000_000, expirySeconds: 300, now: () => now },
      {
        tenant: 'acme',
        contentType: 'image/jpeg',
        task: 'describe',
        instructions: 'Pay attention to the date',
      },
    );

    // Assess
    expect(upload.key).toMatch(/^incoming\/acme\/[0-9a-f-]{36}$/);
    expect(upload.expiresAt).toBe('2026-11-24T12:05:00.000Z');
    const policy = JSON.parse(Buffer.from(String(upload.fields.Policy), 'base64').toString('utf8')) as {
      conditions: unknown[];
    };
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', 1, 5_000_000],
        ['eq', '$Content-Type', 'image/jpeg'],
        ['eq', '$x-amz-meta-task', 'describe'],
        ['eq', '$x-amz-meta-instructions', encodeURIComponent('Pay attention to the date')],
        { key: upload.key },
        { bucket: 'ingest' },
      ]),
    );
    client.destroy();
  });
});
