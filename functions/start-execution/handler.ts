import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createSfnWorkflowStarter } from '../adapters/sfn-workflow-starter.js';
import { sfnClient } from '../config/clients/sfn.js';
import { loadConfig } from '../config/settings.js';
import { executionInputFor } from '../pipeline/execution-input.js';
import { logger } from '../pipeline/step.js';
import { parseObjectCreated } from './object-created.js';

const config = loadConfig();
const starter = createSfnWorkflowStarter(sfnClient(config), config.stateMachineArn);

/** One execution per uploaded object version. A failed start returns the message to the queue, never drops it. */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const object = parseObjectCreated(JSON.parse(record.body));
      const input = object ? executionInputFor(object) : undefined;
      if (!input) {
        logger.warn('ignored an event that is not an upload to incoming/<tenant>/', {
          messageId: record.messageId,
        });
        continue;
      }
      const { started } = await starter.start(input.executionId, {
        ...input,
        status: 'in_progress',
        steps: [],
      });
      logger.info(started ? 'execution started' : 'duplicate event: execution exists', {
        executionId: input.executionId,
        tenant: input.tenant,
      });
    } catch (error) {
      logger.error('could not start execution; the message returns to the queue', {
        messageId: record.messageId,
        error,
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
