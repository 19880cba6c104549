import * as path from 'node:path';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalHeadSigner } from '../../functions/adapters/local-head-signer.js';
import { createAuditTrail } from '../../functions/audit/chain.js';
import { signHeads } from '../../functions/audit/heads.js';
import { type AuditDecision, auditKeys, GENESIS_HASH, sealRecord } from '../../functions/audit/record.js';
import { verifyTrail } from '../../functions/audit/verify.js';
import type { AuditHeadStore, AuditRecordStore } from '../../functions/ports.js';
import { type AuditServers, startAuditServers } from './audit-servers.js';

const BUCKET = 'audit-chain-test';

function decision(tenant: string, item: number, step = 'DlpCheck'): AuditDecision {
  return {
    tenant,
    decisionId: `mg-${item}#0#${step}`,
    at: new Date().toISOString(),
    executionId: `mg-${item}`,
    objectKeyHash: `h${item}`,
    detail: {
      kind: 'dlp',
      verdict: 'allow',
      policyVersion: 'default@1',
      detector: 'local-recognizers',
      findingTypes: [],
      findings: 0,
    },
  };
}

describe('the audit chain on the local servers', () => {
  let servers: AuditServers;
  let dir: string;
  let s3: S3Client;
  let heads: AuditHeadStore;
  let records: AuditRecordStore;

  beforeAll(async () => {
    servers = await startAuditServers(BUCKET);
    ({ dir, s3, heads, records } = servers);
  });

  afterAll(async () => {
    await servers?.close();
  });

  it('gives every decision one position when appenders race and steps are retried', async () => {
    // Prepare: 4 appenders (as 4 Lambdas would be), 20 decisions, each sent twice (a retried step)
    const appenders = Array.from({ length: 4 }, () => createAuditTrail({ heads, records }));
    const sends = Array.from({ length: 40 }, (_, n) => ({ appender: appenders[n % 4], item: n % 20 }));

    // Act
    const sealed = await Promise.all(
      sends.map(({ appender, item }) => appender?.append(decision('race', item))),
    );

    // Assess: 20 records at positions 1..20, a retry got its first record back, and the chain verifies
    const positions = new Map<number, number>();
    sends.forEach(({ item }, n) => {
      const seq = sealed[n]?.seq as number;
      if (positions.has(item)) expect(positions.get(item)).toBe(seq);
      positions.set(item, seq);
    });
    expect([...positions.values()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, n) => n + 1),
    );
    const stored = await records.list('race');
    expect(stored).toHaveLength(20);
    const verdict = await verifyTrail({ records, heads, publicKey: async () => undefined, tenant: 'race' });
    expect(verdict).toMatchObject({ ok: true, records: 20, brokenAt: null });
    expect(await heads.read('race')).toMatchObject({ seq: 20 });
  }, 180_000);

  it('stores the record of a writer that died after moving the head, before the next one appends', async () => {
    // Prepare: one record appended normally, then a head moved to position 2 whose record never reached S3
    const trail = createAuditTrail({ heads, records });
    const first = await trail.append(decision('crash', 1));
    const orphan = sealRecord(decision('crash', 2), 2, first.hash);
    expect(await heads.advance({ decisionId: 'mg-2#0#DlpCheck', expectedSeq: 1, record: orphan })).toBe(
      'advanced',
    );
    expect(await records.exists('crash', 2)).toBe(false);

    // Act: the next decision, and the dead writer's retry
    const third = await trail.append(decision('crash', 3));
    const retried = await trail.append(decision('crash', 2));

    // Assess: no gap, no second copy of decision 2
    expect(third.seq).toBe(3);
    expect(retried).toEqual(orphan);
    expect(await records.list('crash')).toHaveLength(3);
    expect(
      await verifyTrail({ records, heads, publicKey: async () => undefined, tenant: 'crash' }),
    ).toMatchObject({
      ok: true,
      records: 3,
    });
  });

  it('signs each tenant head once per position, and the signature pins the chain', async () => {
    // Prepare
    const signer = createLocalHeadSigner(path.join(dir, 'key.pem'));
    const publicKey = async (keyId: string) => (keyId === signer.keyId ? signer.publicKey() : undefined);
    const trail = createAuditTrail({ heads, records });
    await trail.append(decision('signed', 1));
    await trail.append(decision('signed', 2));
    const now = () => new Date().toISOString();

    // Act: sign, sign again with nothing new, append, sign
    const first = await signHeads({ heads, records, signer, now });
    const again = await signHeads({ heads, records, signer, now });
    await trail.append(decision('signed', 3));
    const third = await signHeads({ heads, records, signer, now });

    // Assess
    expect(first.signed).toContainEqual({ tenant: 'signed', seq: 2 });
    expect(again.signed).toEqual([]);
    expect(third.signed).toEqual([{ tenant: 'signed', seq: 3 }]);
    expect(await records.signedHeads('signed')).toHaveLength(2);
    expect(await verifyTrail({ records, heads, publicKey, tenant: 'signed' })).toMatchObject({ ok: true });

    // The last record deleted: the signed head (and the live head) say the chain was longer.
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: auditKeys.record('signed', 3) }));
    expect(await verifyTrail({ records, publicKey, tenant: 'signed' })).toMatchObject({
      ok: false,
      brokenAt: 3,
      reason: expect.stringContaining('signed head'),
    });

    // Every record deleted: the tenant is still found through its signed heads, and its chain is empty.
    for (const seq of [1, 2]) {
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: auditKeys.record('signed', seq) }));
    }
    const all = await verifyTrail({ records, publicKey });
    expect(all.tenants.find((chain) => chain.tenant === 'signed')).toMatchObject({ ok: false, brokenAt: 1 });
    expect(all.ok).toBe(false);
  });

  it('starts a tenant chain at the genesis hash and keeps tenants apart', async () => {
    const trail = createAuditTrail({ heads, records });
    const a = await trail.append(decision('tenant-a', 1));
    const b = await trail.append(decision('tenant-b', 1));
    expect([a.seq, b.seq]).toEqual([1, 1]);
    expect(JSON.parse(a.body).prevHash).toBe(GENESIS_HASH);
    expect(await records.tenants()).toEqual(expect.arrayContaining(['tenant-a', 'tenant-b', 'race']));
  });
});
