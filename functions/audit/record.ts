/**
 * One audit record: a decision the pipeline took about one item of one tenant, chained to the tenant's
 * previous record. `hash` is SHA-256 over the canonical JSON (canonical.ts) of every other field, and the
 * stored body is the canonical JSON of the whole record, so a verifier needs nothing but the bytes.
 * Records hold ids, hashes, codes, counts and types: never media, instructions, OCR text or PII values.
 */
import type { PiiEntityType, SealedAuditRecord } from '../ports.js';
import { canonicalJson, sha256Hex } from './canonical.js';

export const AUDIT_RECORD_VERSION = 1;
/** `prevHash` of a tenant's first record. */
export const GENESIS_HASH = '0'.repeat(64);

export type AuditDetail =
  | {
      readonly kind: 'validation';
      readonly verdict: 'accepted' | 'rejected';
      readonly reason?: string;
      readonly inputType?: string;
      /** How many metadata blocks were stripped (their names are in the outcome event). */
      readonly removedCount?: number;
      readonly task?: string;
    }
  | {
      readonly kind: 'dlp';
      readonly verdict: 'allow' | 'redact' | 'block';
      readonly reason?: string;
      readonly policyVersion: string;
      readonly detector: string;
      /** Distinct finding types, sorted; never a value or a position. */
      readonly findingTypes: readonly PiiEntityType[];
      readonly findings: number;
    }
  | {
      readonly kind: 'model_call';
      readonly verdict: 'answered' | 'cached' | 'rejected';
      readonly reason?: string;
      readonly route: string;
      readonly model: string;
      /** OpenAI `x-request-id` of every attempt, in order. */
      readonly requestIds: readonly string[];
      readonly attempts: number;
    }
  | {
      readonly kind: 'charge';
      readonly ledgerIds: readonly string[];
      readonly costMicroUsd: number;
      readonly priceTableVersion: string;
      readonly requestIds: readonly string[];
      /** False when a retry found the ledger items already written. */
      readonly written: boolean;
    }
  | {
      readonly kind: 'redrive';
      /** The failed execution the redrive continues, and the one it started. */
      readonly redriveOf: string;
      readonly execution: string;
      readonly failedReason?: string;
    };

/** A decision before it is placed in the chain. */
export interface AuditDecision {
  readonly tenant: string;
  /** Deterministic per decision, so a retried step finds its record instead of appending another. */
  readonly decisionId: string;
  readonly at: string;
  readonly executionId: string;
  readonly objectKeyHash: string;
  /** X-Ray trace id of the item (a derived one on the local stack, which has no X-Ray). */
  readonly traceId?: string;
  readonly detail: AuditDetail;
}

export interface AuditRecord extends AuditDecision {
  readonly v: typeof AUDIT_RECORD_VERSION;
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

export function recordHash(record: Omit<AuditRecord, 'hash'>): string {
  return sha256Hex(canonicalJson(record));
}

/** Places a decision at `seq` after `prevHash` and seals it. */
export function sealRecord(decision: AuditDecision, seq: number, prevHash: string): SealedAuditRecord {
  const unsealed: Omit<AuditRecord, 'hash'> = { v: AUDIT_RECORD_VERSION, ...decision, seq, prevHash };
  const hash = recordHash(unsealed);
  return { tenant: decision.tenant, seq, hash, body: canonicalJson({ ...unsealed, hash }) };
}

export const auditKeys = {
  record: (tenant: string, seq: number) => `records/${tenant}/${String(seq).padStart(12, '0')}.json`,
  recordPrefix: (tenant: string) => `records/${tenant}/`,
  signedHead: (tenant: string, seq: number) => `heads/${tenant}/${String(seq).padStart(12, '0')}.json`,
  signedHeadPrefix: (tenant: string) => `heads/${tenant}/`,
};
