import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../functions/audit/canonical.js';
import { signedHeadMessage } from '../../../functions/audit/heads.js';
import { type AuditDecision, GENESIS_HASH, sealRecord } from '../../../functions/audit/record.js';
import { verifyChain } from '../../../functions/audit/verify.js';
import type { SignedAuditHead } from '../../../functions/ports.js';

function decision(n: number, tenant = 'acme'): AuditDecision {
  return {
    tenant,
    decisionId: `mg-${n}#0#DlpCheck`,
    at: `2026-12-02T10:00:0${n % 10}.000Z`,
    executionId: `mg-${n}`,
    objectKeyHash: `hash${n}`,
    traceId: `1-6b1024f2-${String(n).padStart(24, '0')}`,
    detail: {
      kind: 'dlp',
      verdict: n % 2 ? 'block' : 'allow',
      policyVersion: 'default@2026-11-24.1',
      detector: 'local-recognizers',
      findingTypes: n % 2 ? ['SSN'] : [],
      findings: n % 2,
    },
  };
}

function chain(length: number, tenant = 'acme'): string[] {
  const bodies: string[] = [];
  let prev = GENESIS_HASH;
  for (let n = 1; n <= length; n += 1) {
    const sealed = sealRecord(decision(n, tenant), n, prev);
    bodies.push(sealed.body);
    prev = sealed.hash;
  }
  return bodies;
}

const noKey = async () => undefined;

/** Python's json + hashlib: the hash and canonical form recomputed by code that shares nothing with ours. */
function pythonOracle(bodies: readonly string[]): { canonical: boolean; hashOk: boolean; prevOk: boolean }[] {
  const script = `
import hashlib, json, sys
prev = "0" * 64
out = []
for line in sys.stdin.read().splitlines():
    record = json.loads(line)
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False) == line
    claimed = record.pop("hash")
    body = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    out.append({"canonical": canonical, "hashOk": hashlib.sha256(body.encode()).hexdigest() == claimed, "prevOk": record["prevHash"] == prev})
    prev = claimed
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('python3', ['-c', script], { input: bodies.join('\n') }).toString());
}

describe('the audit chain', () => {
  it('seals records whose canonical form, hash and links an independent implementation agrees with', async () => {
    const bodies = chain(5);
    expect(pythonOracle(bodies)).toEqual(bodies.map(() => ({ canonical: true, hashOk: true, prevOk: true })));
    expect(
      await verifyChain({ tenant: 'acme', records: bodies, signedHeads: [], publicKey: noKey }),
    ).toMatchObject({
      ok: true,
      records: 5,
      brokenAt: null,
    });
  });

  it('finds an edited record at its position, even when the edit keeps the JSON canonical', async () => {
    for (const position of [1, 3, 5]) {
      const bodies = chain(5);
      const record = JSON.parse(bodies[position - 1] as string);
      record.detail.verdict = 'allow';
      record.detail.findingTypes = [];
      bodies[position - 1] = canonicalJson(record);
      expect(pythonOracle(bodies)[position - 1]?.hashOk).toBe(false);
      const verdict = await verifyChain({
        tenant: 'acme',
        records: bodies,
        signedHeads: [],
        publicKey: noKey,
      });
      expect(verdict).toMatchObject({ ok: false, brokenAt: position });
    }
  });

  it('finds an edit that recomputes the hash, at the next record whose link it breaks', async () => {
    const bodies = chain(5);
    const record = JSON.parse(bodies[1] as string);
    record.detail.verdict = 'redact';
    const { hash: _old, ...rest } = record;
    bodies[1] = sealRecord({ ...rest, detail: record.detail }, 2, record.prevHash).body;
    const verdict = await verifyChain({ tenant: 'acme', records: bodies, signedHeads: [], publicKey: noKey });
    expect(verdict).toMatchObject({ ok: false, brokenAt: 3 });
  });

  it('finds a removed record where the gap opens, and a reordering at its first moved position', async () => {
    const removed = chain(6);
    removed.splice(3, 1);
    expect(
      await verifyChain({ tenant: 'acme', records: removed, signedHeads: [], publicKey: noKey }),
    ).toMatchObject({ ok: false, brokenAt: 4 });

    const reordered = chain(6);
    [reordered[1], reordered[4]] = [reordered[4] as string, reordered[1] as string];
    expect(
      await verifyChain({ tenant: 'acme', records: reordered, signedHeads: [], publicKey: noKey }),
    ).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('finds records cut from the end through the live head and through a signed head', async () => {
    const full = chain(6);
    const last = JSON.parse(full[5] as string) as { hash: string };
    const cut = full.slice(0, 4);
    expect(
      await verifyChain({
        tenant: 'acme',
        records: cut,
        signedHeads: [],
        liveHead: { seq: 6, hash: last.hash },
        publicKey: noKey,
      }),
    ).toMatchObject({ ok: false, brokenAt: 5 });

    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const publicDer = publicKey.export({ format: 'der', type: 'spki' });
    const statement = {
      tenant: 'acme',
      seq: 6,
      hash: last.hash,
      signedAt: '2026-12-03T00:05:00.000Z',
      keyId: 'test-key',
      algorithm: 'ECDSA_SHA_256',
    } as const;
    const head: SignedAuditHead = {
      ...statement,
      signature: sign('sha256', signedHeadMessage(statement), privateKey).toString('base64'),
    };
    const withHead = (records: string[], heads: SignedAuditHead[]) =>
      verifyChain({
        tenant: 'acme',
        records,
        signedHeads: heads.map((h) => JSON.stringify(h)),
        publicKey: async (keyId) => (keyId === 'test-key' ? publicDer : undefined),
      });
    expect(await withHead(full, [head])).toMatchObject({ ok: true, signedHeads: 1 });
    expect(await withHead(cut, [head])).toMatchObject({ ok: false, brokenAt: 5 });
    // A head moved back (to hide the cut) no longer matches its signature.
    expect(await withHead(cut, [{ ...head, seq: 4, hash: JSON.parse(cut[3] as string).hash }])).toMatchObject(
      {
        ok: false,
        brokenAt: 4,
        reason: expect.stringContaining('signature invalid'),
      },
    );
    // An unknown key proves nothing.
    expect(await withHead(full, [{ ...head, keyId: 'other-key' }])).toMatchObject({ ok: false });
  });

  it('refuses a record of another tenant spliced into the chain', async () => {
    const bodies = chain(3);
    bodies[1] = chain(3, 'globex')[1] as string;
    expect(
      await verifyChain({ tenant: 'acme', records: bodies, signedHeads: [], publicKey: noKey }),
    ).toMatchObject({
      ok: false,
      brokenAt: 2,
    });
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined members and refuses values it cannot write one way', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null, 'x'], c: undefined } })).toBe(
      '{"a":{"d":[true,null,"x"]},"b":1}',
    );
    expect(() => canonicalJson({ a: 0.5 })).toThrow(/safe integers/);
    expect(() => canonicalJson({ a: new Date(0) })).toThrow(/JSON data/);
  });
});
