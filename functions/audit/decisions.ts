/**
 * What each audited step decided, read from the document before and after it ran. One record per step
 * that decides: ValidateAndStrip (the validation verdict), DlpCheck (the DLP verdict, policy version and
 * finding types), InvokeModel (the model call: route, request ids, trace id) and RecordCost (the charge).
 * A step that threw decided nothing yet: its retry will.
 */
import { createHash } from 'node:crypto';
import type { PipelineState } from '../pipeline/document.js';
import type { AuditDecision, AuditDetail } from './record.js';

export const AUDITED_STEPS = ['ValidateAndStrip', 'DlpCheck', 'InvokeModel', 'RecordCost'] as const;
export type AuditedStep = (typeof AUDITED_STEPS)[number];

export function isAuditedStep(step: string): step is AuditedStep {
  return (AUDITED_STEPS as readonly string[]).includes(step);
}

/**
 * One id per decision: the item, the run (a redrive is a new run of the same item) and the step. A
 * retried step asks for the same id and gets its first record back.
 */
export function decisionId(state: Pick<PipelineState, 'executionId' | 'redriveOf'>, step: string): string {
  const run = state.redriveOf ? createHash('sha256').update(state.redriveOf).digest('hex').slice(0, 16) : '0';
  return `${state.executionId}#${run}#${step}`;
}

function stepDetail(step: AuditedStep, after: PipelineState): AuditDetail | undefined {
  const rejectedHere = after.status !== 'in_progress' && after.status !== 'processed';
  const reason = rejectedHere && after.reason ? { reason: after.reason } : {};
  switch (step) {
    case 'ValidateAndStrip':
      return {
        kind: 'validation',
        verdict: after.media ? 'accepted' : 'rejected',
        ...reason,
        ...(after.media
          ? { inputType: after.media.inputType, removedCount: after.media.removed.length }
          : {}),
        ...(after.task ? { task: after.task } : {}),
      };
    case 'DlpCheck': {
      const dlp = after.dlp;
      if (!dlp) return undefined;
      return {
        kind: 'dlp',
        verdict: dlp.decision,
        ...reason,
        policyVersion: dlp.policyVersion,
        detector: dlp.detector,
        findingTypes: [...new Set(dlp.findings.map((finding) => finding.type))].sort(),
        findings: dlp.findings.length,
      };
    }
    case 'InvokeModel': {
      const model = after.model;
      if (!model)
        return {
          kind: 'model_call',
          verdict: 'rejected',
          ...reason,
          route: '',
          model: '',
          requestIds: [],
          attempts: 0,
        };
      return {
        kind: 'model_call',
        verdict: rejectedHere ? 'rejected' : model.cached ? 'cached' : 'answered',
        ...reason,
        route: model.route,
        model: model.model,
        requestIds: [...model.requestIds, ...(model.transcription?.requestIds ?? [])],
        attempts: model.attempts,
      };
    }
    case 'RecordCost': {
      const cost = after.cost;
      if (!cost) return undefined;
      return {
        kind: 'charge',
        ledgerIds: [...(cost.ledgerIds ?? [cost.ledgerId])],
        costMicroUsd: cost.costMicroUsd,
        priceTableVersion: cost.priceTableVersion,
        requestIds: [...(after.model?.requestIds ?? [])],
        written: cost.written,
      };
    }
  }
}

/** The decision a step took, or undefined when the step is not audited or took none. */
export function stepDecision(step: string, after: PipelineState, at: string): AuditDecision | undefined {
  if (!isAuditedStep(step)) return undefined;
  const detail = stepDetail(step, after);
  if (!detail) return undefined;
  return {
    tenant: after.tenant,
    decisionId: decisionId(after, step),
    at,
    executionId: after.executionId,
    objectKeyHash: after.objectKeyHash,
    ...(after.traceId ? { traceId: after.traceId } : {}),
    detail,
  };
}

/** The decision `mediagate redrive` takes when it starts an item again. */
export function redriveDecision(
  document: PipelineState,
  run: { readonly redriveOf: string; readonly execution: string },
  at: string,
): AuditDecision {
  return {
    tenant: document.tenant,
    decisionId: `${document.executionId}#redrive#${createHash('sha256').update(run.execution).digest('hex').slice(0, 16)}`,
    at,
    executionId: document.executionId,
    objectKeyHash: document.objectKeyHash,
    ...(document.traceId ? { traceId: document.traceId } : {}),
    detail: {
      kind: 'redrive',
      redriveOf: run.redriveOf,
      execution: run.execution,
      ...(document.reason ? { failedReason: document.reason } : {}),
    },
  };
}
