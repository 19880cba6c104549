import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineState } from '../../functions/pipeline/document.js';
import { LOCAL_CREDENTIALS, type S3ObjectCreatedEvent } from '../../infra/local/s3.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { stateMachineDefinition } from '../../infra/local/template.js';
import { ledgerItems, upload } from './local-stack-client.js';

describe('the pipeline on the local stack', () => {
  let stack: LocalStack;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-integ-'));
    stack = await startLocalStack({ stateDir });
  });

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('runs exactly the ASL of the synthesized template: same states, transitions, Retry and Catch', () => {
    // Prepare: read the definition straight from the template, independently of the runner
    const machine = Object.values(stack.template.Resources).find(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine',
    );
    const definitionString = machine?.Properties?.DefinitionString as
      | { 'Fn::Join': [string, unknown[]] }
      | undefined;
    if (!definitionString) throw new Error('the template has no state machine');
    const parts = definitionString['Fn::Join'][1];
    const placeholder = 'TOKEN';
    const fromTemplate = JSON.parse(
      parts.map((part) => (typeof part === 'string' ? part : placeholder)).join(''),
    ) as {
      StartAt: string;
      States: Record<string, Record<string, unknown>>;
    };
    const strip = (states: Record<string, Record<string, unknown>>) =>
      JSON.parse(
        JSON.stringify(states, (key, value) =>
          key === 'Resource' || key === 'EventBusName' ? 'ARN' : value,
        ),
      );

    // Act
    const running = stack.stepFunctions.definition.definition;

    // Assess
    expect(running.StartAt).toBe(fromTemplate.StartAt);
    expect(Object.keys(running.States)).toEqual(Object.keys(fromTemplate.States));
    expect(strip(running.States)).toEqual(strip(fromTemplate.States));
    expect(stateMachineDefinition(stack.template).definition).toEqual(running);
  });

  it('processes an upload through a presigned POST, emits Media Processed and writes one ledger item', async () => {
    // Prepare
    const photo = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#4a7' } })
      .jpeg()
      .toBuffer();

    // Act
    const key = await upload(stack, photo, 'image/jpeg');
    const event = await stack.waitForOutcome(key);

    // Assess
    const state = event.detail as PipelineState;
    expect(event.detailType).toBe('Media Processed');
    expect(state.status).toBe('processed');
    expect(state.steps.map((step) => step.name)).toEqual([
      'ValidateAndStrip',
      'Preprocess',
      'DlpCheck',
      'InvokeModel',
      'RecordCost',
    ]);
    expect(state.processed?.width).toBeLessThanOrEqual(1024);
    expect(state.model?.requestIds[0]).toMatch(/^req_/);
    expect(state.cost?.costMicroUsd).toBeGreaterThan(0);
    await stack.stepFunctions.idle();
    const history = stack.stepFunctions
      .execution(state.executionId)
      ?.history.filter((h) => h.type === 'StateEntered')
      .map((h) => h.state);
    expect(history).toEqual([
      'ResumeOrStart',
      'ValidateAndStrip',
      'AfterValidateAndStrip',
      'Preprocess',
      'AfterPreprocess',
      'DlpCheck',
      'AfterDlpCheck',
      'InvokeModel',
      'AfterInvokeModel',
      'RecordCost',
      'AfterRecordCost',
      'PublishProcessed',
      'Processed',
    ]);
    expect(await ledgerItems(stack, 'acme')).toHaveLength(1);
  });

  it('starts no second execution and writes no second ledger item for a duplicate event', async () => {
    // Prepare
    const photo = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#a47' } })
      .png()
      .toBuffer();
    const key = await upload(stack, photo, 'image/png', { tenant: 'dupes' });
    const first = (await stack.waitForOutcome(key)).detail as PipelineState;
    const executionsBefore = stack.stepFunctions.execution(first.executionId);
    const duplicate: S3ObjectCreatedEvent = {
      version: '0',
      id: 'duplicate-delivery',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: {
        version: '0',
        bucket: { name: String(stack.environment.INGEST_BUCKET) },
        object: { key, size: photo.length, sequencer: '1' },
        'request-id': 'r',
        requester: '000000000000',
        reason: 'PostObject',
      },
    };

    // Act
    await stack.deliverObjectEvent(duplicate);
    await stack.stepFunctions.idle();

    // Assess
    expect(stack.stepFunctions.execution(first.executionId)).toBe(executionsBefore);
    expect(stack.stepFunctions.execution(first.executionId)?.status).toBe('SUCCEEDED');
    expect(await ledgerItems(stack, 'dupes')).toHaveLength(1);
  });

  it('rejects a text file named photo.jpg, quarantines the original and calls no model', async () => {
    // Prepare
    const requestsBefore = stack.simulator?.requests.length ?? 0;
    const notAPhoto = Buffer.from('name: Jane Example\nthis is not a photo\n', 'utf8');

    // Act
    const key = await upload(stack, notAPhoto, 'image/jpeg', { tenant: 'badfiles' });
    const event = await stack.waitForOutcome(key);

    // Assess
    const state = event.detail as PipelineState;
    expect(state.failure).toBeUndefined();
    expect(event.detailType).toBe('Media Rejected');
    expect(state.status).toBe('rejected');
    expect(['TYPE_MISMATCH', 'UNSUPPORTED_TYPE']).toContain(state.reason);
    expect(stack.simulator?.requests.length ?? 0).toBe(requestsBefore);
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: stack.endpoints.s3,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });
    const quarantined = await s3.send(
      new ListObjectsV2Command({
        Bucket: stack.environment.QUARANTINE_BUCKET,
        Prefix: `quarantine/badfiles/${state.executionId}/`,
      }),
    );
    expect(quarantined.Contents?.map((object) => object.Key)).toEqual([
      `quarantine/badfiles/${state.executionId}/${state.reason}`,
    ]);
    const processed = await s3.send(
      new ListObjectsV2Command({ Bucket: stack.environment.PROCESSED_BUCKET, Prefix: `sanitized/badfiles/` }),
    );
    expect(processed.Contents ?? []).toHaveLength(0);
    expect(JSON.stringify(event)).not.toContain('Jane Example');
  });
});
