import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { WorkflowStarter } from '../ports.js';

/**
 * Starts Standard executions by deterministic name. Step Functions itself refuses a second execution with
 * the same name (for 90 days after the first closes), which is what makes duplicate S3 events harmless.
 */
export function createSfnWorkflowStarter(client: SFNClient, stateMachineArn: string): WorkflowStarter {
  const executionArnFor = (name: string) =>
    `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  return {
    async start(name, input) {
      try {
        const response = await client.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
        );
        return { started: true, executionId: response.executionArn ?? executionArnFor(name) };
      } catch (error) {
        if (error instanceof ExecutionAlreadyExists)
          return { started: false, executionId: executionArnFor(name) };
        throw error;
      }
    },
  };
}
