/**
 * One storage stand-in (s3rver, or dynalite behind its transaction front) on a thread of its own.
 * Everything else on the local stack (the handlers, the Step Functions runner, the SDK clients) shares the
 * main thread, and on a 2-core machine the servers' side of every request (HTTP parsing, LevelDB, the
 * object files) then queued behind the handlers' work. Here each answers on a thread of its own, over the
 * same loopback HTTP endpoints; object-created events travel back as messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startLocalDynamo } from './dynamodb.js';
import { startLocalS3 } from './s3.js';

export type StorageWorkerData =
  | { readonly serve: 's3'; readonly s3Directory: string; readonly buckets: readonly string[] }
  | { readonly serve: 'dynamodb'; readonly dynamoPath: string };

export type StorageWorkerMessage =
  | { readonly type: 'ready'; readonly endpoint: string }
  | { readonly type: 'objectCreated'; readonly event: unknown }
  | { readonly type: 'closed' };

const port = parentPort;
if (!port) throw new Error('storage-worker.ts runs as a worker thread (see storage-thread.ts)');
const data = workerData as StorageWorkerData;
const send = (message: StorageWorkerMessage) => port.postMessage(message);

const server =
  data.serve === 's3'
    ? await startLocalS3({
        directory: data.s3Directory,
        buckets: data.buckets,
        onObjectCreated: (event) => send({ type: 'objectCreated', event }),
      })
    : await startLocalDynamo({ path: data.dynamoPath });
port.on('message', async (message: { type: 'close' }) => {
  if (message.type !== 'close') return;
  await server.close();
  send({ type: 'closed' });
});
send({ type: 'ready', endpoint: server.endpoint });
