/**
 * What DlpCheck cost in AWS: one ledger item per service it used (Comprehend for PII and language
 * detection, Textract for OCR, Transcribe for speech), each summing that service's requests. Minimums
 * apply per request, so every request is priced on its own and the amounts are added. Ids are
 * `<executionId>#DlpCheck#<service>`: a retried or redriven step finds its items already written.
 */
import { findTask } from '../model/tasks.js';
import { type AwsUnit, billableUnits, PRICE_TABLE_VERSION, priceUnits } from '../money/prices.js';
import type { DlpSection, PipelineState } from '../pipeline/document.js';
import type { BilledRequest, BilledService, Ledger, LedgerEntry, LedgerEntryKind } from '../ports.js';

/** Price-table unit and ledger kind per service; the service name is the item's `model` (`aws:<service>` its route). */
const SERVICES: Readonly<Record<BilledService, { readonly unit: AwsUnit; readonly kind: LedgerEntryKind }>> =
  {
    comprehend: { unit: 'comprehend', kind: 'dlp' },
    textract: { unit: 'textract_page', kind: 'ocr' },
    transcribe: { unit: 'transcribe_second', kind: 'transcription' },
  };

export const dlpLedgerId = (executionId: string, service: BilledService): string =>
  `${executionId}#DlpCheck#${service}`;

/** The ledger entries of one DlpCheck run, in a fixed service order. */
export function dlpLedgerEntries(
  state: PipelineState,
  billed: readonly BilledRequest[],
  createdAt: string,
): LedgerEntry[] {
  const task = state.task ? findTask(state.task) : undefined;
  return (Object.keys(SERVICES) as BilledService[]).flatMap((service) => {
    const requests = billed.filter((r) => r.service === service);
    if (requests.length === 0) return [];
    const { unit, kind } = SERVICES[service];
    return [
      {
        id: dlpLedgerId(state.executionId, service),
        tenant: state.tenant,
        // Same `<taskId>@<version>` as the model step's items, so per-task spend includes DLP.
        task: task ? `${task.id}@${task.version}` : (state.task ?? 'unknown'),
        kind,
        model: service,
        route: `aws:${service}`,
        priceTableVersion: PRICE_TABLE_VERSION,
        tokens: { textIn: 0, cachedIn: 0, imageIn: 0, audioIn: 0, textOut: 0, audioOut: 0 },
        units: { [unit]: requests.reduce((sum, r) => sum + billableUnits(unit, r.quantity), 0) },
        costMicroUsd: requests.reduce((sum, r) => sum + priceUnits(unit, r.quantity), 0),
        requestIds: requests.flatMap((r) => (r.requestId ? [r.requestId] : [])),
        executionId: state.executionId,
        objectKeyHash: state.objectKeyHash,
        ...(state.traceId ? { traceId: state.traceId } : {}),
        createdAt,
      },
    ];
  });
}

/** Requests and billed units per service, for the outcome event (counts only). */
export function billingSummary(billed: readonly BilledRequest[]): NonNullable<DlpSection['billing']> {
  const summary: Partial<Record<BilledService, { requests: number; units: number }>> = {};
  for (const request of billed) {
    const current = summary[request.service] ?? { requests: 0, units: 0 };
    summary[request.service] = {
      requests: current.requests + 1,
      units: current.units + billableUnits(SERVICES[request.service].unit, request.quantity),
    };
  }
  return summary;
}

/** Writes the entries; each is written once whatever the number of attempts. */
export async function recordDlpBilling(
  ledger: Ledger,
  state: PipelineState,
  billed: readonly BilledRequest[],
  createdAt: string,
): Promise<{ written: number; costMicroUsd: number }> {
  let written = 0;
  let costMicroUsd = 0;
  // One after another: the items add to the same tenant aggregates, and parallel transactions on them conflict.
  for (const entry of dlpLedgerEntries(state, billed, createdAt)) {
    if ((await ledger.record(entry)).written) written += 1;
    costMicroUsd += entry.costMicroUsd;
  }
  return { written, costMicroUsd };
}
