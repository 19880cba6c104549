import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { executionInputFor } from '../../../functions/pipeline/execution-input.js';
import { parseObjectCreated } from '../../../functions/start-execution/object-created.js';

const sfn = mockClient(SFNClient);

function objectCreated(key: string, versionId?: string) {
  return {
    version: '0',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    time: '2026-11-24T10:00:00Z',
    detail: {
      bucket: { name: 'ingest' },
      object: { key, size: 123, ...(versionId ? { 'version-id': versionId } : {}) },
    },
  };
}

function batch(...bodies: unknown[]): SQSEvent {
  return {
    Records: bodies.map((body, index) => ({ messageId: `m${index}`, body: JSON.stringify(body) })),
  } as unknown as SQSEvent;
}

function inputFor(key: string, versionId?: string) {
  const parsed = parseObjectCreated(objectCreated(key, versionId));
  if (!parsed) throw new Error('fixture is not an Object Created event');
  return executionInputFor(parsed);
}

describe('execution naming', () => {
  it('names the execution from bucket, key and version, so the same version always maps to one name', () => {
    const first = inputFor('incoming/acme/a1', 'v1');
    const again = inputFor('incoming/acme/a1', 'v1');
    const newVersion = inputFor('incoming/acme/a1', 'v2');
    expect(first?.executionId).toBe(again?.executionId);
    expect(first?.executionId).not.toBe(newVersion?.executionId);
    expect(first?.executionId).toMatch(/^mg-[0-9a-f]{64}$/);
    expect(first?.tenant).toBe('acme');
  });

  it('ignores keys outside incoming/<tenant>/ and events that are not Object Created', () => {
    expect(inputFor('elsewhere/acme/a1')).toBeUndefined();
    expect(inputFor('incoming/../a1')).toBeUndefined();
    expect(
      parseObjectCreated({ ...objectCreated('incoming/acme/a1'), 'detail-type': 'Object Deleted' }),
    ).toBeUndefined();
  });
});

describe('start-execution handler', () => {
  let handler: (event: SQSEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

  beforeAll(async () => {
    process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Pipeline';
    handler = (await import('../../../functions/start-execution/handler.js')).handler;
  });

  beforeEach(() => sfn.reset());

  it('starts one execution per upload with the deterministic name', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });

    // Act
    const result = await handler(batch(objectCreated('incoming/acme/a1', 'v1')));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    const call = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(call?.name).toMatch(/^mg-[0-9a-f]{64}$/);
    expect(JSON.parse(call?.input ?? '{}')).toMatchObject({
      tenant: 'acme',
      key: 'incoming/acme/a1',
      status: 'in_progress',
      steps: [],
    });
  });

  it('treats ExecutionAlreadyExists (a duplicate event) as done, not as a failure', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const result = await handler(batch(objectCreated('incoming/acme/a1', 'v1')));
    expect(result.batchItemFailures).toEqual([]);
  });

  it('returns only the failed message to the queue when Step Functions is unavailable', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: 'arn:x', startDate: new Date() })
      .rejectsOnce(Object.assign(new Error('service unavailable'), { name: 'ServiceUnavailable' }));
    const result = await handler(batch(objectCreated('incoming/acme/a1'), objectCreated('incoming/acme/a2')));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
  });
});
