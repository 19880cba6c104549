/**
 * The tenant registry as an operator uses it: `mediagate tenants set` between two `mediagate run`s, each
 * run a fresh local stack on the same state directory. No restart of anything that ran, no deploy: the
 * next item reads the new record. The simulator's own bill says whether a model call happened.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { type FileOutcome, runFiles } from '../../cli/commands/run.js';
import { runTenants } from '../../cli/commands/tenants.js';
import { useCliWorkDir } from '../fixtures/cli-work-dir.js';

let photos = 0;
async function makePhoto(dir: string): Promise<string> {
  photos += 1;
  const file = path.join(dir, `photo-${photos}.png`);
  await sharp({
    create: { width: 320, height: 240, channels: 3, background: { r: 20 * photos, g: 90, b: 40 } },
  })
    .png()
    .toFile(file);
  return file;
}

async function run(file: string, tenant: string): Promise<FileOutcome> {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  await runFiles([file], { tenant, json: true, timeoutMs: 120_000 }, out, new PassThrough());
  return JSON.parse(chunks.join('').trim()) as FileOutcome;
}

/** `mediagate tenants …` as the command line runs it, with what it printed. */
async function tenants(action: string, tenant: string | undefined, options: Record<string, unknown> = {}) {
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => {
    printed.push(line);
  });
  try {
    const code = await runTenants(action, tenant, { json: true, actor: 'ops@example', ...options });
    return { code, records: printed.map((line) => JSON.parse(line) as Record<string, unknown>) };
  } finally {
    log.mockRestore();
  }
}

describe('mediagate tenants on the local stack', () => {
  const work = useCliWorkDir('mediagate-tenants-');
  /** The simulator's own bill: one line per request it answered (and billed). */
  const billedRequests = () => {
    const billFile = path.join(work.path, 'state', 'openai-bill.jsonl');
    if (!fs.existsSync(billFile)) return 0;
    return fs
      .readFileSync(billFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim()).length;
  };

  it('a cap set at run time refuses the next item with no model call; raising it lets the next one through', async () => {
    // Prepare
    const set = await tenants('set', 'tight', { dailyCapUsd: '0.001' });
    expect(set.code).toBe(0);
    expect(set.records[0]).toMatchObject({
      tenant: 'tight',
      dailyCapMicroUsd: 1000,
      source: 'registry',
      version: 1,
      updatedBy: 'ops@example',
    });
    const billedBefore = billedRequests();

    // Act
    const refused = await run(await makePhoto(work.path), 'tight');
    const billedWhileRefused = billedRequests();
    await tenants('set', 'tight', { dailyCapUsd: '5' });
    const processed = await run(await makePhoto(work.path), 'tight');

    // Assess
    expect(refused).toMatchObject({ status: 'budget_exceeded', reason: 'BUDGET_EXCEEDED', model: null });
    expect(billedWhileRefused).toBe(billedBefore);
    expect(processed).toMatchObject({ status: 'processed', model: expect.stringMatching(/^gpt-4o/) });
    expect(billedRequests()).toBe(billedBefore + 1);
    const shown = await tenants('show', 'tight');
    expect(shown.records[0]).toMatchObject({ dailyCapMicroUsd: 5_000_000, version: 2 });
    expect(String(shown.records[0]?.updatedAt)).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  }, 240_000);

  it('a suspended tenant is refused at presign with TENANT_SUSPENDED, and resumes without a deploy', async () => {
    // Act
    await tenants('suspend', 'paused');
    const suspended = await run(await makePhoto(work.path), 'paused');
    await tenants('resume', 'paused');
    const resumed = await run(await makePhoto(work.path), 'paused');

    // Assess
    expect(suspended).toMatchObject({ status: 'rejected', reason: 'TENANT_SUSPENDED', key: null });
    expect(resumed.status).toBe('processed');
  }, 240_000);

  it('lists the registry, shows an unknown tenant with the default tier, and refuses a bad value', async () => {
    // Act
    const listed = await tenants('list', undefined);
    const unknown = await tenants('show', 'nobody-yet');
    const bad = await tenants('set', 'tight', { policy: 'no-such-policy' }).catch((e: Error) => e);
    const badTier = await tenants('set', 'tight', { tier: 'platinum' }).catch((e: Error) => e);

    // Assess
    expect(listed.records.map((r) => r.tenant).sort()).toEqual(['paused', 'tight']);
    expect(unknown.records[0]).toMatchObject({
      tier: 'standard',
      source: 'default',
      version: 0,
      status: 'active',
    });
    expect(String(bad)).toMatch(/no DLP policy named no-such-policy/);
    expect(String(badTier)).toMatch(/unknown tier platinum/);
  }, 240_000);
});
