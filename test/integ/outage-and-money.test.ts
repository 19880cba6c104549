/**
 * The promises "an outage costs no data" and "no cent uncounted or counted twice", through the whole
 * local pipeline on the rehearsal clock: a storm within the park patience, a storm past it and its
 * redrive, an answer without usage, attempts of unknown outcome, and reconciliation with the simulator's
 * own bill (which shares no code with the ledger's prices).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerByDayAndModel, providerByDayAndModel } from '../../cli/commands/reconcile.js';
import { findRedrivable, redriveExecutions } from '../../cli/commands/redrive.js';
import { createDynamoAuditHeadStore } from '../../functions/adapters/dynamodb-audit-head.js';
import { createS3AuditStore } from '../../functions/adapters/s3-audit-store.js';
import { verifyTrail } from '../../functions/audit/verify.js';
import { createStepDecisionLog } from '../../functions/config/adapters.js';
import { loadConfig } from '../../functions/config/settings.js';
import { PRICE_TABLE_VERSION } from '../../functions/money/prices.js';
import { reconcile } from '../../functions/money/reconcile.js';
import type { PipelineState } from '../../functions/pipeline/document.js';
import { LOCAL_CREDENTIALS } from '../../infra/local/s3.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { LOCAL_REGION } from '../../infra/local/template.js';
import { ledgerItems, localDynamo, upload } from './local-stack-client.js';

const COLOURS = ['#a33', '#3a3', '#33a'];
/** 240x: the 2 h park patience is 30 s, a 30 s breaker cool-down 125 ms. */
const TIME_SCALE = 240;

async function photo(colour: string): Promise<Buffer> {
  return sharp({ create: { width: 1600, height: 1200, channels: 3, background: colour } })
    .jpeg()
    .toBuffer();
}

async function processAll(stack: LocalStack, tenant: string): Promise<PipelineState[]> {
  return Promise.all(
    COLOURS.map(async (colour) => {
      const key = await upload(stack, await photo(colour), 'image/jpeg', { tenant });
      return (await stack.waitForOutcome(key, 120_000)).detail as PipelineState;
    }),
  );
}

async function reconcileNow(stack: LocalStack) {
  const month = new Date().toISOString().slice(0, 7);
  const client = localDynamo(stack);
  try {
    const [ledger, provider] = await Promise.all([
      ledgerByDayAndModel(client, stack.environment.LEDGER_TABLE ?? '', month),
      providerByDayAndModel(stack.simulator?.baseUrl ?? '', 'sk-admin-test', month),
    ]);
    return reconcile(ledger, provider, PRICE_TABLE_VERSION);
  } finally {
    client.destroy();
  }
}

describe('outages and money on the local stack', () => {
  let stack: LocalStack;
  let stateDir: string;
  const calmCosts: number[] = [];

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-outage-'));
    stack = await startLocalStack({ stateDir, timeScale: TIME_SCALE });
  });

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('reconciles a calm run with the provider to the micro-dollar', async () => {
    // Act
    const states = await processAll(stack, 'calm');
    calmCosts.push(...states.map((state) => state.cost?.costMicroUsd ?? 0));
    const report = await reconcileNow(stack);

    // Assess
    expect(states.map((state) => state.status)).toEqual(['processed', 'processed', 'processed']);
    expect(report).toMatchObject({ matched: true, differences: [] });
    expect(report.ledgerMicroUsd).toBe(calmCosts.reduce((sum, cost) => sum + cost, 0));
    expect(Math.abs(report.providerMicroUsd - report.ledgerMicroUsd)).toBeLessThanOrEqual(3);
  });

  it('parks three photos through a storm of errors, timeouts and resets, and bills each as a calm run would', async () => {
    // Prepare: more failures than the first attempts use up, so the items park and probe the breaker
    stack.simulator?.setFaults('503*12,timeout,reset,malformed');

    // Act
    const states = await processAll(stack, 'storm');

    // Assess: same outcome, same model, same cost per photo as the calm run
    expect(states.map((state) => state.status)).toEqual(['processed', 'processed', 'processed']);
    expect(states.map((state) => state.cost?.costMicroUsd)).toEqual(calmCosts);
    const items = await ledgerItems(stack, 'storm');
    const charges = items.filter((item) => item.kind?.S === 'model_call');
    expect(charges).toHaveLength(3);
    // The timeout and the cut-off 200 may have been billed: exposure, never a charge.
    const unconfirmed = items.filter((item) => item.kind?.S === 'unconfirmed_attempt');
    expect(unconfirmed.length).toBeGreaterThanOrEqual(2);
    for (const item of unconfirmed) {
      expect(item.costMicroUsd?.N).toBe('0');
      expect(Number(item.exposureMicroUsd?.N)).toBeGreaterThan(0);
    }
  });

  it('explains the difference the storm leaves with the provider by its unconfirmed attempts', async () => {
    const report = await reconcileNow(stack);

    expect(report.matched).toBe(false);
    expect(report.differences).toHaveLength(1);
    expect(report.differences[0]).toMatchObject({ model: 'gpt-4o', cause: 'unconfirmed_attempts' });
    expect(report.differences[0]?.differenceMicroUsd).toBeGreaterThan(0);
  });

  it('charges an answer without usage its pre-flight estimate, never $0', async () => {
    // Prepare
    stack.simulator?.setFaults('no-usage');

    // Act
    const key = await upload(stack, await photo('#777'), 'image/jpeg', { tenant: 'no-usage' });
    const state = (await stack.waitForOutcome(key, 60_000)).detail as PipelineState;

    // Assess
    expect(state.status).toBe('processed');
    expect(state.model?.costSource).toBe('estimate');
    expect(state.cost?.costMicroUsd).toBe(state.model?.estimateMicroUsd);
    expect(state.cost?.costMicroUsd).toBeGreaterThan(0);
    const [item] = await ledgerItems(stack, 'no-usage');
    expect(item?.costSource?.S).toBe('estimate');
  });

  it('fails items MODEL_OUTAGE when a storm outlasts the patience, and redrive completes each exactly once', async () => {
    // Prepare
    stack.simulator?.setFaults('503*10000');
    const failed = await processAll(stack, 'long-storm');
    expect(failed.map((state) => `${state.status} ${state.reason}`)).toEqual([
      'failed MODEL_OUTAGE',
      'failed MODEL_OUTAGE',
      'failed MODEL_OUTAGE',
    ]);
    expect(failed.every((state) => state.redrive?.redrivable)).toBe(true);
    stack.simulator?.setFaults('ok');
    const sfn = new SFNClient({
      region: LOCAL_REGION,
      endpoint: stack.endpoints.sfn,
      credentials: LOCAL_CREDENTIALS,
    });

    const config = loadConfig(stack.environment);
    // Plain SDK clients: the functions' client factories load the step wrapper, whose metrics must not
    // start before the stack has set their environment.
    const clients = {
      dynamo: localDynamo(stack),
      s3: new S3Client({
        region: LOCAL_REGION,
        endpoint: stack.endpoints.s3,
        forcePathStyle: true,
        credentials: LOCAL_CREDENTIALS,
      }),
    };
    const audit = await createStepDecisionLog(config, clients);

    // Act
    const outcomes = await redriveExecutions(
      sfn,
      stack.stepFunctions.stateMachineArn,
      { tenant: 'long-storm' },
      60_000,
      audit,
    );
    const again = await findRedrivable(sfn, stack.stepFunctions.stateMachineArn, { tenant: 'long-storm' });
    sfn.destroy();

    // Assess
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['processed', 'processed', 'processed']);
    expect(outcomes.map((outcome) => outcome.costMicroUsd).sort()).toEqual([...calmCosts].sort());
    expect(outcomes.every((outcome) => outcome.execution.endsWith('-r1'))).toBe(true);
    const charges = (await ledgerItems(stack, 'long-storm')).filter((item) => item.kind?.S === 'model_call');
    expect(charges).toHaveLength(3);
    expect(new Set(charges.map((item) => item.executionId?.S)).size).toBe(3);
    expect(again).toEqual([]);
    // The audit trail: per item its validation and DLP verdicts, the redrive, then the model call and
    // the charge of the redriven run (the parked attempts threw, so they decided nothing), once chained.
    await stack.chainAudit();
    const records = createS3AuditStore(clients.s3, config.buckets.audit);
    const kinds = (await records.list('long-storm')).map((body) => JSON.parse(body).detail.kind as string);
    expect(kinds.filter((kind) => kind === 'redrive')).toHaveLength(3);
    expect(kinds.filter((kind) => kind === 'model_call')).toHaveLength(3);
    expect(kinds.filter((kind) => kind === 'charge')).toHaveLength(3);
    expect(kinds).toHaveLength(15);
    const verdict = await verifyTrail({
      records,
      heads: createDynamoAuditHeadStore(clients.dynamo, config.tables.state),
      publicKey: async () => undefined,
      tenant: 'long-storm',
    });
    expect(verdict).toMatchObject({ ok: true, records: 15 });
  });
});
