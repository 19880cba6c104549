/**
 * The storage stand-ins (s3rver and dynalite behind its transaction front) on a thread of their own.
 * Everything else on the local stack (the handlers, the Step Functions runner, the SDK clients) shares the
 * main thread, and on a 2-core machine the servers' side of every request (HTTP parsing, LevelDB, the
 * object files) then queued behind the handlers' work. Here they answer on the second core, over the same
 * loopback HTTP endpoints; object-created events travel back as messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startLocalDynamo } from './dynamodb.js';
import { startLocalS3 } from './s3.js';

export interface StorageWorkerData {
  readonly s3Directory: string;
  readonly buckets: readonly string[];
  readonly dynamoPath: string;
}

export type StorageWorkerMessage =
  | { readonly type: 'ready'; readonly s3: string; readonly dynamodb: string }
  | { readonly type: 'objectCreated'; readonly event: unknown }
  | { readonly type: 'closed' };

const port = parentPort;
if (!port) throw new Error('storage-worker.ts runs as a worker thread (see storage-thread.ts)');
const data = workerData as StorageWorkerData;
const send = (message: StorageWorkerMessage) => port.postMessage(message);

const s3 = await startLocalS3({
  directory: data.s3Directory,
  buckets: data.buckets,
  onObjectCreated: (event) => send({ type: 'objectCreated', event }),
});
const dynamo = await startLocalDynamo({ path: data.dynamoPath });
port.on('message', async (message: { type: 'close' }) => {
  if (message.type !== 'close') return;
  await s3.close();
  await dynamo.close();
  send({ type: 'closed' });
});
send({ type: 'ready', s3: s3.endpoint, dynamodb: dynamo.endpoint });
