/** Starts the storage stand-ins on their own thread (storage-worker.ts) and stops them again. */
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

export function startStorageThread(
  data: StorageWorkerData,
  onObjectCreated: (event: S3ObjectCreatedEvent) => void,
): Promise<StorageThread> {
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
      reject(new Error(`the storage thread exited (${code}) before it was ready`)),
    );
    worker.on('message', (message: StorageWorkerMessage) => {
      if (message.type === 'objectCreated') onObjectCreated(message.event as S3ObjectCreatedEvent);
      else if (message.type === 'closed') closed?.();
      else if (message.type === 'ready') {
        worker.removeAllListeners('exit');
        worker.removeAllListeners('error');
        // A thread that dies later takes the stack's storage with it: say so loudly rather than hang.
        worker.on('error', (error) => console.error('local storage thread failed:', error));
        resolve({
          s3Endpoint: message.s3,
          dynamoEndpoint: message.dynamodb,
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
