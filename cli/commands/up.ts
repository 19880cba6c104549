/** `mediagate up`: the local stack as a long-running process, with what other tools need to reach it. */
import { parseLatency, parseTimeScale, startLocalStack } from '../../infra/local/stack.js';

export async function runUp(
  options: { simFaults?: string; simLatencyMs?: string; timeScale?: string },
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const stack = await startLocalStack({
    simulatorFaults: options.simFaults,
    simulatorLatencyMs: parseLatency(options.simLatencyMs),
    timeScale: parseTimeScale(options.timeScale),
  });
  const env = stack.environment;
  out.write(
    [
      'mediagate local stack is up (Ctrl-C to stop)',
      `  state:        ${stack.stateDir}`,
      `  presign:      POST ${stack.endpoints.presign}  {"tenant":"demo","contentType":"image/jpeg"}`,
      `  s3:           ${stack.endpoints.s3}   buckets: ${env.INGEST_BUCKET}, ${env.PROCESSED_BUCKET}, ${env.RESULTS_BUCKET}, ${env.QUARANTINE_BUCKET}`,
      `  dynamodb:     ${stack.endpoints.dynamodb}   tables: ${env.LEDGER_TABLE}, ${env.STATE_TABLE}`,
      `  stepfunctions:${stack.endpoints.sfn}   ${env.STATE_MACHINE_ARN}`,
      `  eventbridge:  ${stack.endpoints.eventbridge}   events also in ${stack.stateDir}/events.jsonl`,
      `  openai:       ${stack.endpoints.openai}${stack.simulator ? ' (simulator)' : ''}`,
      `  clock:        every wait runs ${env.MEDIAGATE_TIME_SCALE}x faster than in AWS (--time-scale)`,
      '',
      'For the AWS CLI and SDKs:',
      `  export AWS_ACCESS_KEY_ID=${env.AWS_ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY=${env.AWS_SECRET_ACCESS_KEY} AWS_REGION=${env.AWS_REGION}`,
      `  export AWS_ENDPOINT_URL_S3=${stack.endpoints.s3} AWS_ENDPOINT_URL_DYNAMODB=${stack.endpoints.dynamodb}`,
      `  export AWS_ENDPOINT_URL_SFN=${stack.endpoints.sfn} AWS_ENDPOINT_URL_EVENTBRIDGE=${stack.endpoints.eventbridge}`,
      `  aws --endpoint-url ${stack.endpoints.dynamodb} dynamodb scan --table-name ${env.LEDGER_TABLE}`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stack.stop();
  return 0;
}
