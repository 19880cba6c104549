import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';

async function presign(stack: LocalStack, body: unknown) {
  const response = await fetch(stack.endpoints.presign, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as {
      url: string;
      fields: Record<string, string>;
      key: string;
      error?: string;
    },
  };
}

function form(fields: Record<string, string>, file: Buffer, type: string): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  data.append('file', new Blob([file], { type }));
  return data;
}

describe('presigned uploads on the local stack', () => {
  let stack: LocalStack;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-presign-'));
    stack = await startLocalStack({ stateDir, environment: { MEDIAGATE_MAX_UPLOAD_BYTES: '1000' } });
  });

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('scopes the key to incoming/<tenant>/ and pins the declared type and size range', async () => {
    const { status, body } = await presign(stack, {
      tenant: 'acme',
      contentType: 'image/png',
      task: 'describe',
    });
    expect(status).toBe(200);
    expect(body.key).toMatch(/^incoming\/acme\/[0-9a-f-]{36}$/);
    const policy = JSON.parse(Buffer.from(String(body.fields.Policy), 'base64').toString('utf8')) as {
      conditions: unknown[];
    };
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', 1, 1000],
        ['eq', '$Content-Type', 'image/png'],
        { key: body.key },
      ]),
    );
  });

  it('refuses a tenant id that could escape its prefix and a type outside the allowlist', async () => {
    expect((await presign(stack, { tenant: '../other', contentType: 'image/png' })).status).toBe(400);
    expect((await presign(stack, { tenant: 'acme', contentType: 'image/svg+xml' })).body.error).toContain(
      'contentType',
    );
  });

  it('makes S3 refuse an upload over the size range, with another content type, or with a forged signature', async () => {
    const { body } = await presign(stack, { tenant: 'acme', contentType: 'image/png' });

    const tooLarge = await fetch(body.url, {
      method: 'POST',
      body: form(body.fields, Buffer.alloc(1001), 'image/png'),
    });
    const otherType = await fetch(body.url, {
      method: 'POST',
      body: form({ ...body.fields, 'Content-Type': 'text/html' }, Buffer.alloc(10), 'text/html'),
    });
    const forged = await fetch(body.url, {
      method: 'POST',
      body: form({ ...body.fields, 'X-Amz-Signature': '0'.repeat(64) }, Buffer.alloc(10), 'image/png'),
    });
    const fits = await fetch(body.url, {
      method: 'POST',
      body: form(body.fields, Buffer.alloc(10), 'image/png'),
    });

    expect(tooLarge.status).toBe(400);
    expect(await tooLarge.text()).toContain('EntityTooLarge');
    expect(otherType.status).toBe(403);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('SignatureDoesNotMatch');
    expect(fits.status).toBe(204);
  });
});
