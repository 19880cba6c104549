/**
 * Local EventBridge: accepts PutEvents from the real SDK client, appends each event to a JSON-lines file
 * (the outcome log a developer can read) and tells in-process listeners.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { startAwsJsonServer } from './aws-json-server.js';

export interface RecordedEvent {
  readonly id: string;
  readonly time: string;
  readonly eventBusName: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
}

export interface LocalEventBus {
  readonly endpoint: string;
  onEvent(listener: (event: RecordedEvent) => void): () => void;
  close(): Promise<void>;
}

export async function startLocalEventBus(options: { logFile: string }): Promise<LocalEventBus> {
  const listeners = new Set<(event: RecordedEvent) => void>();
  const server = await startAwsJsonServer({
    targetPrefix: 'AWSEvents',
    contentType: 'application/x-amz-json-1.1',
    operations: {
      PutEvents: (body) => {
        const entries = (body.Entries ?? []) as {
          Source?: string;
          DetailType?: string;
          Detail?: string;
          EventBusName?: string;
        }[];
        const results = entries.map((entry) => {
          let detail: unknown;
          try {
            detail = JSON.parse(entry.Detail ?? '{}');
          } catch {
            return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' };
          }
          const event: RecordedEvent = {
            id: randomUUID(),
            time: new Date().toISOString(),
            eventBusName: entry.EventBusName ?? 'default',
            source: entry.Source ?? '',
            detailType: entry.DetailType ?? '',
            detail,
          };
          fs.appendFileSync(options.logFile, `${JSON.stringify(event)}\n`);
          for (const listener of listeners) listener(event);
          return { EventId: event.id };
        });
        return {
          FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length,
          Entries: results,
        };
      },
    },
  });
  return {
    endpoint: server.endpoint,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => server.close(),
  };
}
