import { type SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import type { SyncWorkflow } from '../ports.js';

/** Runs the Express state machine synchronously; its output is the pipeline document. */
export function createSfnSyncWorkflow(client: SFNClient, stateMachineArn: string): SyncWorkflow {
  return {
    async run(name, input) {
      const response = await client.send(
        new StartSyncExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      const status =
        response.status === 'SUCCEEDED' || response.status === 'TIMED_OUT' ? response.status : 'FAILED';
      return {
        status,
        ...(response.output ? { output: JSON.parse(response.output) as unknown } : {}),
        ...(response.error ? { error: response.error } : {}),
      };
    },
  };
}
