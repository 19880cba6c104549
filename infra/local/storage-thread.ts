/**
 * Starts the storage stand-ins, S3 and DynamoDB, each on a thread of its own (storage-worker.ts), and stops
 * them again. Two threads rather than one: a miss makes about 35 storage round trips, and each waits less
 * when the object files and LevelDB do not queue behind each other.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { S3ObjectCreatedEvent } from './s3.js';
import type { StorageWorkerData, StorageWorkerMessage } from './storage-worker.js';

export interface StorageThread {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  close(): Promise<void>;
}

interface StorageServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

function startStorageWorker(
  data: StorageWorkerData,
  onObjectCreated: (event: S3ObjectCreatedEvent) => void,
): Promise<StorageServer> {
  // The worker loads TypeScript as the CLI and the tests do: through tsx, found from here rather than from
  // the working directory (the CLI runs anywhere).
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const worker = new Worker(new URL('./storage-worker.ts', import.meta.url), {
    workerData: data,
    execArgv: ['--import', tsxLoader],
  });
  let closed: (() => void) | undefined;
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`the ${data.serve} storage thread exited (${code}) before it was ready`)),
    );
    worker.on('message', (message: StorageWorkerMessage) => {
      if (message.type === 'objectCreated') onObjectCreated(message.event as S3ObjectCreatedEvent);
      else if (message.type === 'closed') closed?.();
      else if (message.type === 'ready') {
        worker.removeAllListeners('exit');
        worker.removeAllListeners('error');
        // A thread that dies later takes the stack's storage with it: say so loudly rather than hang.
        worker.on('error', (error) => console.error(`local ${data.serve} storage thread failed:`, error));
        resolve({
          endpoint: message.endpoint,
          async close() {
            await new Promise<void>((done) => {
              closed = done;
              worker.postMessage({ type: 'close' });
            });
            await worker.terminate();
          },
        });
      }
    });
  });
}

export async function startStorageThread(
  data: { readonly s3Directory: string; readonly buckets: readonly string[]; readonly dynamoPath: string },
  onObjectCreated: (event: S3ObjectCreatedEvent) => void,
): Promise<StorageThread> {
  const [s3, dynamo] = await Promise.allSettled([
    startStorageWorker(
      { serve: 's3', s3Directory: data.s3Directory, buckets: data.buckets },
      onObjectCreated,
    ),
    startStorageWorker({ serve: 'dynamodb', dynamoPath: data.dynamoPath }, onObjectCreated),
  ]);
  if (s3.status === 'rejected' || dynamo.status === 'rejected') {
    await Promise.all(
      [s3, dynamo].map((started) => (started.status === 'fulfilled' ? started.value.close() : undefined)),
    );
    throw s3.status === 'rejected' ? s3.reason : (dynamo as PromiseRejectedResult).reason;
  }
  return {
    s3Endpoint: s3.value.endpoint,
    dynamoEndpoint: dynamo.value.endpoint,
    async close() {
      await Promise.all([s3.value.close(), dynamo.value.close()]);
    },
  };
}
