/**
 * A loopback HTTP server speaking the AWS JSON protocol (X-Amz-Target + JSON body), so the real SDK
 * clients can talk to the local stand-ins for Step Functions and EventBridge.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class AwsJsonError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export type AwsJsonOperations = Record<string, (body: Record<string, unknown>) => Promise<unknown> | unknown>;

export interface AwsJsonServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function startAwsJsonServer(options: {
  targetPrefix: string;
  contentType: string;
  operations: AwsJsonOperations;
}): Promise<AwsJsonServer> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(`${options.targetPrefix}.`)
        ? target.slice(options.targetPrefix.length + 1)
        : '';
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': options.contentType });
        response.end(JSON.stringify(body));
      };
      const handler = options.operations[operation];
      if (!handler) {
        reply(400, {
          __type: 'UnknownOperationException',
          message: `the local stack does not implement ${target}`,
        });
        return;
      }
      try {
        const body =
          chunks.length > 0
            ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
            : {};
        reply(200, (await handler(body)) ?? {});
      } catch (error) {
        if (error instanceof AwsJsonError)
          reply(error.status, { __type: error.type, message: error.message });
        else
          reply(500, {
            __type: 'InternalFailure',
            message: error instanceof Error ? error.message : String(error),
          });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
