import { describe, expect, it } from 'vitest';
import { type LedgerDayModel, modelFamily, reconcile } from '../../../functions/money/reconcile.js';

const DAY = '2026-12-02';

function ours(overrides: Partial<LedgerDayModel> = {}): LedgerDayModel {
  return {
    day: DAY,
    model: 'gpt-4o-2024-08-06',
    costMicroUsd: 7_700,
    estimatedMicroUsd: 0,
    exposureMicroUsd: 0,
    unconfirmedAttempts: 0,
    calls: 3,
    priceTableVersions: ['2026-11'],
    ...overrides,
  };
}

describe('reconciliation with the provider', () => {
  it('matches within a micro-dollar per request, comparing dated snapshots by model family', () => {
    // Prepare: the provider sums unrounded amounts; the ledger rounds each item up
    const report = reconcile(
      [ours(), ours({ model: 'gpt-4o', costMicroUsd: 0, exposureMicroUsd: 0, calls: 0 })],
      [{ day: DAY, model: 'gpt-4o-2024-08-06', costMicroUsd: 7_698, requests: 3 }],
      '2026-11',
    );

    // Assess
    expect(report).toEqual({
      matched: true,
      ledgerMicroUsd: 7_700,
      providerMicroUsd: 7_698,
      differences: [],
    });
    expect(modelFamily('gpt-4o-mini-2024-07-18')).toBe('gpt-4o-mini');
  });

  it('explains a provider bill above the ledger by unconfirmed attempts it may include', () => {
    const report = reconcile(
      [
        ours(),
        ours({ model: 'gpt-4o', costMicroUsd: 0, exposureMicroUsd: 9_000, unconfirmedAttempts: 3, calls: 0 }),
      ],
      [{ day: DAY, model: 'gpt-4o-2024-08-06', costMicroUsd: 12_840, requests: 5 }],
      '2026-11',
    );

    expect(report.matched).toBe(false);
    expect(report.differences).toMatchObject([
      { day: DAY, model: 'gpt-4o', differenceMicroUsd: 5_140, cause: 'unconfirmed_attempts' },
    ]);
    expect(report.differences[0]?.explanation).toContain('3 attempt(s) of unknown outcome');
  });

  it('explains a provider bill below the ledger by items charged from estimates', () => {
    const report = reconcile(
      [ours({ costMicroUsd: 11_180, estimatedMicroUsd: 6_050 })],
      [{ day: DAY, model: 'gpt-4o-2024-08-06', costMicroUsd: 7_700, requests: 3 }],
      '2026-11',
    );

    expect(report.differences).toMatchObject([{ differenceMicroUsd: -3_480, cause: 'estimated_items' }]);
  });

  it('names an older price table, and calls anything else unexplained', () => {
    const older = reconcile(
      [ours({ priceTableVersions: ['2025-01'] })],
      [{ day: DAY, model: 'gpt-4o-2024-08-06', costMicroUsd: 9_000, requests: 3 }],
      '2026-11',
    );
    const unknown = reconcile(
      [ours()],
      [{ day: DAY, model: 'gpt-4o-2024-08-06', costMicroUsd: 9_000, requests: 3 }],
      '2026-11',
    );
    // More than the exposure can explain is not put down to it.
    const tooMuch = reconcile(
      [ours({ exposureMicroUsd: 100, unconfirmedAttempts: 1 })],
      [{ day: DAY, model: 'gpt-4o-2024-08-06', costMicroUsd: 9_000, requests: 4 }],
      '2026-11',
    );

    expect(older.differences[0]?.cause).toBe('price_table');
    expect(unknown.differences[0]?.cause).toBe('unexplained');
    expect(tooMuch.differences[0]?.cause).toBe('unexplained');
  });

  it('lists a day the provider billed that the ledger has nothing for', () => {
    const report = reconcile(
      [],
      [{ day: DAY, model: 'gpt-4o-mini-2024-07-18', costMicroUsd: 500, requests: 1 }],
      '2026-11',
    );
    expect(report.differences).toMatchObject([
      { model: 'gpt-4o-mini', ledgerMicroUsd: 0, providerMicroUsd: 500, cause: 'unexplained' },
    ]);
  });
});
