/**
 * Local S3: s3rver on loopback, keeping objects on disk, with the template's buckets. Its object events
 * are reshaped into the EventBridge "Object Created" events that S3 sends in AWS.
 */
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './local-account.js';
import { PostPolicyError, parseMultipart, verifyPostPolicy } from './s3-post-policy.js';

/** s3rver's default credentials; any SDK client of the local stack signs with them. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3ObjectCreatedEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'Object Created';
  readonly source: 'aws.s3';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: {
    version: '0';
    bucket: { name: string };
    object: { key: string; size: number; etag?: string; 'version-id'?: string; sequencer: string };
    'request-id': string;
    requester: string;
    reason: string;
  };
}

export interface LocalS3 {
  readonly endpoint: string;
  close(): Promise<void>;
}

interface S3rverRecord {
  eventName: string;
  eventTime: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string; sequencer?: string } };
}

export async function startLocalS3(options: {
  directory: string;
  buckets: readonly string[];
  onObjectCreated: (event: S3ObjectCreatedEvent) => void;
}): Promise<LocalS3> {
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: options.directory,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  // Its request log (koa-logger into winston) formats two lines per request even when silent; nothing
  // reads them. Koa composes the middleware when the handler is made, so dropping it here is enough.
  server.middleware = server.middleware.filter(
    (middleware) => (middleware as { name?: string }).name !== 'logger',
  );
  server.on('event', (event: { Records: S3rverRecord[] }) => {
    for (const record of event.Records) {
      if (!record.eventName.startsWith('ObjectCreated:')) continue;
      options.onObjectCreated({
        version: '0',
        id: randomUUID(),
        'detail-type': 'Object Created',
        source: 'aws.s3',
        account: LOCAL_ACCOUNT,
        time: new Date(record.eventTime).toISOString(),
        region: LOCAL_REGION,
        resources: [`arn:aws:s3:::${record.s3.bucket.name}`],
        detail: {
          version: '0',
          bucket: { name: record.s3.bucket.name },
          object: {
            key: decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')),
            size: Number(record.s3.object.size ?? 0),
            etag: record.s3.object.eTag,
            sequencer: record.s3.object.sequencer ?? '0',
          },
          'request-id': randomUUID(),
          requester: LOCAL_ACCOUNT,
          reason: record.eventName.slice('ObjectCreated:'.length) === 'Post' ? 'PostObject' : 'PutObject',
        },
      });
    }
  });
  const address = (await server.run()) as AddressInfo;
  const front = await startPostPolicyFront(address.port, server.callback());
  return {
    endpoint: front.endpoint,
    close: async () => {
      await front.close();
      await server.close();
    },
  };
}

/**
 * A loopback front for s3rver: POST uploads are checked against their policy (as S3 does) before they are
 * passed on; every other request goes to s3rver's own request handler in this thread, untouched, without
 * a second HTTP round trip.
 */
async function startPostPolicyFront(
  s3rverPort: number,
  s3rverHandler: (request: IncomingMessage, response: ServerResponse) => unknown,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const front = createServer((request, response) => {
    // A checked upload is passed on over HTTP: its body has been read, and s3rver reads it from the socket.
    const forward = (body: Buffer) => {
      const upstream = httpRequest(
        {
          host: '127.0.0.1',
          port: s3rverPort,
          method: request.method,
          path: request.url,
          headers: request.headers,
        },
        (reply) => {
          response.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(response);
        },
      );
      upstream.on('error', () => response.destroy());
      upstream.end(body);
    };
    const contentType = String(request.headers['content-type'] ?? '');
    const bucket = /^\/([^/?]+)\/?(\?.*)?$/.exec(request.url ?? '')?.[1];
    if (request.method !== 'POST' || !bucket || !contentType.startsWith('multipart/form-data')) {
      s3rverHandler(request, response);
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      try {
        verifyPostPolicy({
          bucket,
          parts: parseMultipart(body, contentType),
          secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
        });
      } catch (error) {
        const refusal =
          error instanceof PostPolicyError ? error : new PostPolicyError('AccessDenied', String(error));
        response.writeHead(refusal.status, { 'content-type': 'application/xml' });
        response.end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message></Error>`,
        );
        return;
      }
      forward(body);
    });
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const { port } = front.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        front.closeAllConnections();
        front.close(() => resolve());
      }),
  };
}
