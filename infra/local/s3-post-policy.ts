/**
 * What S3 checks on a browser-based POST upload, which s3rver skips: the policy's signature (SigV4 with
 * the local credentials), its expiry, and that every form field and the file's size satisfy its
 * conditions. The local stack enforces it so a presign bug fails here as it would in AWS.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface MultipartPart {
  readonly name: string;
  readonly filename?: string;
  readonly data: Buffer;
}

export function parseMultipart(body: Buffer, contentType: string): MultipartPart[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) throw new PostPolicyError('MalformedPOSTRequest', 'no multipart boundary');
  const delimiter = Buffer.from(`--${marker}`);
  const parts: MultipartPart[] = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const name = /name="([^"]*)"/i.exec(headers)?.[1];
      const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
      if (name !== undefined) parts.push({ name, filename, data: part.subarray(headerEnd + 4) });
    }
    start = next;
  }
  return parts;
}

export class PostPolicyError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 403,
  ) {
    super(message);
  }
}

type Condition = Record<string, string> | [string, string, string | number] | [string, number, number];

/** Throws PostPolicyError when S3 would refuse the upload. */
export function verifyPostPolicy(options: {
  bucket: string;
  parts: readonly MultipartPart[];
  secretAccessKey: string;
  now?: Date;
}): void {
  const fields = new Map<string, string>();
  let file: MultipartPart | undefined;
  for (const part of options.parts) {
    if (part.name === 'file') {
      file = part;
      break; // S3 ignores fields after the file
    }
    fields.set(part.name.toLowerCase(), part.data.toString('utf8'));
  }
  if (!file)
    throw new PostPolicyError('InvalidArgument', 'POST requires exactly one file upload per request.', 400);
  const policyBase64 = fields.get('policy');
  if (!policyBase64) throw new PostPolicyError('AccessDenied', 'Bucket POST must contain a policy.');

  const credential = fields.get('x-amz-credential') ?? '';
  const [, date, region, service] = credential.split('/');
  if (!date || !region || service !== 's3')
    throw new PostPolicyError('AccessDenied', 'malformed X-Amz-Credential');
  const signingKey = ['aws4_request'].reduce(
    (key, part) => hmac(key, part),
    hmac(hmac(hmac(Buffer.from(`AWS4${options.secretAccessKey}`), date), region), service),
  );
  const expected = createHmac('sha256', signingKey).update(policyBase64).digest();
  const given = Buffer.from(fields.get('x-amz-signature') ?? '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new PostPolicyError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    );
  }

  const policy = JSON.parse(Buffer.from(policyBase64, 'base64').toString('utf8')) as {
    expiration: string;
    conditions: Condition[];
  };
  if (Date.parse(policy.expiration) <= (options.now ?? new Date()).getTime()) {
    throw new PostPolicyError('AccessDenied', 'Invalid according to Policy: Policy expired.');
  }

  const values = new Map(fields);
  values.set('bucket', options.bucket);
  const covered = new Set<string>(['policy', 'x-amz-signature', 'file']);
  for (const condition of policy.conditions) {
    if (!Array.isArray(condition)) {
      for (const [name, value] of Object.entries(condition)) {
        covered.add(name.toLowerCase());
        if (values.get(name.toLowerCase()) !== value) failed(`["eq", "$${name}", "${value}"]`);
      }
      continue;
    }
    const [operator, first, second] = condition;
    if (operator === 'content-length-range') {
      const size = file.data.length;
      if (size < Number(first))
        throw new PostPolicyError(
          'EntityTooSmall',
          'Your proposed upload is smaller than the minimum allowed size',
          400,
        );
      if (size > Number(second))
        throw new PostPolicyError(
          'EntityTooLarge',
          'Your proposed upload exceeds the maximum allowed size',
          400,
        );
      continue;
    }
    const name = String(first).replace(/^\$/, '').toLowerCase();
    covered.add(name);
    const actual = values.get(name) ?? '';
    if (operator === 'eq' && actual !== String(second)) failed(JSON.stringify(condition));
    if (operator === 'starts-with' && !actual.startsWith(String(second))) failed(JSON.stringify(condition));
  }
  for (const name of fields.keys()) {
    if (!covered.has(name) && !name.startsWith('x-ignore-')) {
      throw new PostPolicyError('AccessDenied', `Invalid according to Policy: Extra input fields: ${name}`);
    }
  }
}

function failed(condition: string): never {
  throw new PostPolicyError(
    'AccessDenied',
    `Invalid according to Policy: Policy Condition failed: ${condition}`,
  );
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
