import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { OUTCOME_SOURCE } from '../pipeline/document.js';
import type { EventPublisher } from '../ports.js';

/** `client` is made when the first event goes out (config/clients/eventbridge.ts). */
export function createEventBridgePublisher(
  client: () => Promise<EventBridgeClient>,
  eventBusName: string,
): EventPublisher {
  return {
    async publish(event) {
      const [bus, { PutEventsCommand }] = await Promise.all([
        client(),
        import('@aws-sdk/client-eventbridge'),
      ]);
      const response = await bus.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: eventBusName,
              Source: OUTCOME_SOURCE,
              DetailType: event.detailType,
              Detail: JSON.stringify(event.detail),
            },
          ],
        }),
      );
      // PutEvents reports per-entry failures in a 200 response; an unchecked one is a silently lost event.
      if ((response.FailedEntryCount ?? 0) > 0) {
        const entry = response.Entries?.[0];
        throw new Error(`event not accepted: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`);
      }
    },
  };
}
