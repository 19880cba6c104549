/**
 * A function behind a loopback HTTP endpoint, shaped like its function URL in AWS (the local stack has no
 * IAM, so requests are not signed here): the presign function, and `POST /v1/analyze`. As a function URL
 * does, a body that is not text reaches the function base64-encoded.
 *
 * Identity: in AWS the function URL puts the SigV4 signer's ARN into `requestContext.authorizer.iam`.
 * Locally the caller states it in the `x-mediagate-principal-arn` header (the local stack's stand-in for
 * signing), which this server moves into the same place and removes from the headers, so the function
 * reads the caller exactly as it does in AWS.
 */
export const LOCAL_PRINCIPAL_HEADER = 'x-mediagate-principal-arn';

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

type FunctionUrlHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

function isTextual(contentType: string | undefined): boolean {
  return /^(text\/|application\/(json|x-www-form-urlencoded|xml))/i.test(contentType ?? '');
}

export async function startFunctionUrl(
  handler: FunctionUrlHandler,
  options: { readonly port?: number } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const principal = request.headers[LOCAL_PRINCIPAL_HEADER];
      delete request.headers[LOCAL_PRINCIPAL_HEADER];
      const event = {
        version: '2.0',
        routeKey: '$default',
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers: Object.fromEntries(
          Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
        ),
        requestContext: {
          http: { method: request.method ?? 'GET', path: url.pathname },
          ...(typeof principal === 'string' ? { authorizer: { iam: { userArn: principal } } } : {}),
        },
        ...(isTextual(request.headers['content-type'])
          ? { body: Buffer.concat(chunks).toString('utf8'), isBase64Encoded: false }
          : { body: Buffer.concat(chunks).toString('base64'), isBase64Encoded: true }),
      } as unknown as APIGatewayProxyEventV2;
      try {
        const result = await handler(event);
        response.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
        response.end(result.body ?? '');
      } catch (error) {
        response.writeHead(502, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: error instanceof Error ? error.message : 'function failed' }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
