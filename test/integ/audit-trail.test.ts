/**
 * The audit trail end to end: `mediagate run` on the local stack appends one record per decision, the
 * stack signs the heads when it stops, and `mediagate audit verify` finds an edited, removed or reordered
 * record at its position. The expected count comes from the outcomes' own step lists, not from the audit
 * code; the tampering goes through a plain S3 client, as someone with access to the bucket would.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuditVerify } from '../../cli/commands/audit.js';
import { type FileOutcome, runFiles } from '../../cli/commands/run.js';
import { startLocalDynamo } from '../../infra/local/dynamodb.js';
import { acquireLock } from '../../infra/local/lock.js';
import { LOCAL_CREDENTIALS, startLocalS3 } from '../../infra/local/s3.js';
import { bucketNames, functionEnvironment } from '../../infra/local/template.js';
import { synthesizeMediagate } from '../../infra/synth.js';

const SAMPLES = path.resolve(import.meta.dirname, '..', '..', 'samples');
/** The steps that take a decision an auditor asks about (docs/audit.md). */
const DECIDING_STEPS = new Set(['ValidateAndStrip', 'DlpCheck', 'InvokeModel', 'RecordCost']);

interface Verdict {
  ok: boolean;
  records: number;
  brokenAt: number | null;
  tenant?: string;
  reason?: string;
  tenants: { tenant: string; records: number; signedHeads: number }[];
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function verify(tenant?: string): Promise<Verdict> {
  const out = collect();
  await runAuditVerify({ json: true, ...(tenant ? { tenant } : {}) }, out.stream);
  return JSON.parse(out.text()) as Verdict;
}

async function run(files: string[], tenant: string): Promise<FileOutcome[]> {
  const out = collect();
  const err = collect();
  await runFiles(files, { tenant, json: true, timeoutMs: 180_000 }, out.stream, err.stream);
  return out
    .text()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as FileOutcome);
}

describe('mediagate audit verify after mediagate run', () => {
  let workDir: string;
  let stateDir: string;
  const previousStateDir = process.env.MEDIAGATE_STATE_DIR;
  const { template } = synthesizeMediagate();
  const environment = functionEnvironment(template);
  const auditBucket = environment.AUDIT_BUCKET as string;
  let outcomes: FileOutcome[] = [];

  /** The local S3 and DynamoDB on the stack's state, for what a person with bucket access would do. */
  async function withState<T>(
    act: (clients: { s3: S3Client; query: (pk: string) => Promise<Record<string, unknown>[]> }) => Promise<T>,
  ): Promise<T> {
    const release = acquireLock(path.join(stateDir, 'stack.lock'));
    const s3Server = await startLocalS3({
      directory: path.join(stateDir, 's3'),
      buckets: bucketNames(template),
      onObjectCreated: () => {},
    });
    const dynamo = await startLocalDynamo({ path: path.join(stateDir, 'dynamodb') });
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: s3Server.endpoint,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });
    const client = dynamo.client();
    try {
      return await act({
        s3,
        query: async (pk) =>
          (
            await client.send(
              new QueryCommand({
                TableName: environment.LEDGER_TABLE,
                KeyConditionExpression: 'pk = :pk',
                ExpressionAttributeValues: { ':pk': { S: pk } },
              }),
            )
          ).Items?.map((item) => unmarshall(item)) ?? [],
      });
    } finally {
      s3.destroy();
      client.destroy();
      await dynamo.close();
      await s3Server.close();
      release();
    }
  }

  async function recordKeys(s3: S3Client, tenant: string): Promise<string[]> {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: auditBucket, Prefix: `records/${tenant}/` }),
    );
    return (listed.Contents ?? []).map((object) => object.Key as string).sort();
  }

  async function body(s3: S3Client, key: string): Promise<string> {
    const object = await s3.send(new GetObjectCommand({ Bucket: auditBucket, Key: key }));
    return (await object.Body?.transformToString('utf8')) ?? '';
  }

  async function put(s3: S3Client, key: string, text: string): Promise<void> {
    await s3.send(new PutObjectCommand({ Bucket: auditBucket, Key: key, Body: text }));
  }

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-audit-trail-'));
    stateDir = path.join(workDir, 'state');
    process.env.MEDIAGATE_STATE_DIR = stateDir;
    delete process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_BASE_URL;
    const fake = path.join(workDir, 'not-a-photo.jpg');
    fs.writeFileSync(fake, 'plain text, not a JPEG\n');
    const photoAgain = path.join(workDir, 'photo-again.jpg');
    fs.copyFileSync(path.join(SAMPLES, 'photo-with-gps.jpg'), photoAgain);
    // Samples: processed, PII-blocked, audio not scanned; then a rejected fake and a cache hit.
    outcomes = await run(
      ['photo-with-gps.jpg', 'claim-form.png', 'voice-note.wav'].map((name) => path.join(SAMPLES, name)),
      'audited',
    );
    outcomes.push(...(await run([fake, photoAgain], 'audited')));
  }, 600_000);

  afterAll(() => {
    if (previousStateDir === undefined) delete process.env.MEDIAGATE_STATE_DIR;
    else process.env.MEDIAGATE_STATE_DIR = previousStateDir;
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('holds one record per decision the run took, and a signed head', async () => {
    expect(outcomes.map((o) => o.status).sort()).toEqual([
      'processed',
      'processed',
      'rejected',
      'rejected',
      'rejected',
    ]);
    const decisions = outcomes.flatMap((o) => o.steps.filter((step) => DECIDING_STEPS.has(step.name)));
    // The cache hit decides nothing at DlpCheck or InvokeModel: it is validated and charged.
    expect(outcomes.find((o) => o.file.endsWith('photo-again.jpg'))?.steps.map((s) => s.name)).toEqual([
      'ValidateAndStrip',
      'RecordCost',
    ]);

    const verdict = await verify();
    expect(verdict).toMatchObject({ ok: true, brokenAt: null, records: decisions.length });
    expect(verdict.tenants).toEqual([
      expect.objectContaining({ tenant: 'audited', records: decisions.length }),
    ]);
    expect(verdict.tenants[0]?.signedHeads).toBeGreaterThanOrEqual(1);
  });

  it('carries the model request id and the trace id into the outcome event, the ledger item and the record', async () => {
    const processed = outcomes.find((o) => o.file.endsWith('photo-with-gps.jpg'));
    const event = fs
      .readFileSync(path.join(stateDir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            detail: { key?: string; traceId?: string; model?: { requestIds: string[] } };
          },
      )
      .find((e) => e.detail.key === processed?.key);
    const traceId = event?.detail.traceId;
    expect(traceId).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(event?.detail.model?.requestIds).toContain(processed?.requestId);

    await withState(async ({ s3, query }) => {
      const ledger = (await query('TENANT#audited')).filter(
        (item) => item.type === 'ledger' && item.kind === 'model_call',
      );
      expect(ledger).toEqual([expect.objectContaining({ traceId, requestIds: [processed?.requestId] })]);
      const records = await Promise.all(
        (await recordKeys(s3, 'audited')).map(async (key) => JSON.parse(await body(s3, key))),
      );
      const modelCall = records.find((r) => r.detail.kind === 'model_call');
      expect(modelCall).toMatchObject({
        traceId,
        detail: { requestIds: [processed?.requestId], route: expect.any(String) },
      });
      const charge = records.find((r) => r.detail.kind === 'charge' && r.traceId === traceId);
      expect(charge?.detail.ledgerIds).toEqual([ledger[0]?.id]);
      // Finding types, never values: the claim form's SSN is in the types, its digits nowhere.
      const dlp = records.find((r) => r.detail.kind === 'dlp' && r.detail.reason === 'PII_BLOCKED');
      expect(dlp?.detail.findingTypes).toContain('CREDIT_DEBIT_NUMBER');
      expect(dlp?.detail.policyVersion).toEqual(expect.any(String));
      // The sample's fictitious values (scripts/make-samples.ts), in any spacing.
      const stored = JSON.stringify(records).replace(/[\s-]/g, '');
      for (const value of ['219099999', '4111111111111111', 'Jane', 'jane@example.com'])
        expect(stored).not.toContain(value);
    });
  });

  it('finds an edited, a removed and a reordered record at its position, and a cut tail through the signed head', async () => {
    /** Changes the stored records, runs verify, and puts every record back as it was. */
    const tampered = async (change: (s3: S3Client, keys: string[], bodies: string[]) => Promise<void>) => {
      const saved = await withState(async ({ s3 }) => {
        const keys = await recordKeys(s3, 'audited');
        const bodies = await Promise.all(keys.map((key) => body(s3, key)));
        await change(s3, keys, bodies);
        return { keys, bodies };
      });
      const verdict = await verify('audited');
      await withState(async ({ s3 }) => {
        for (const [index, key] of saved.keys.entries()) await put(s3, key, saved.bodies[index] as string);
      });
      return verdict;
    };

    // Edited: record 3 says the DLP allowed what it blocked (valid JSON, same keys, same hash field).
    const edited = await tampered(async (s3, keys, bodies) => {
      await put(s3, keys[2] as string, (bodies[2] as string).replace(/"verdict":"\w+"/, '"verdict":"allow"'));
    });
    // Removed: record 4 deleted.
    const removed = await tampered(async (s3, keys) => {
      await s3.send(new DeleteObjectCommand({ Bucket: auditBucket, Key: keys[3] as string }));
    });
    // Reordered: records 2 and 5 swap places.
    const reordered = await tampered(async (s3, keys, bodies) => {
      await put(s3, keys[1] as string, bodies[4] as string);
      await put(s3, keys[4] as string, bodies[1] as string);
    });
    // Cut: the last record deleted, which no record after it can show.
    const cut = await tampered(async (s3, keys) => {
      await s3.send(new DeleteObjectCommand({ Bucket: auditBucket, Key: keys.at(-1) as string }));
    });
    const total = outcomes.flatMap((o) => o.steps.filter((step) => DECIDING_STEPS.has(step.name))).length;

    expect(edited).toMatchObject({ ok: false, brokenAt: 3, tenant: 'audited' });
    expect(removed).toMatchObject({ ok: false, brokenAt: 4 });
    expect(reordered).toMatchObject({ ok: false, brokenAt: 2 });
    expect(cut).toMatchObject({ ok: false, brokenAt: total });
    // Everything put back: the chain holds again.
    expect(await verify()).toMatchObject({ ok: true, records: total });
  }, 300_000);
});
