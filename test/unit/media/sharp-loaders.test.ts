import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** What the deployed function's environment names (dummies: nothing is called at cold start). */
const DEPLOYED_NAMES = {
  INGEST_BUCKET: 'ingest',
  PROCESSED_BUCKET: 'processed',
  QUARANTINE_BUCKET: 'quarantine',
  RESULTS_BUCKET: 'results',
  AUDIT_BUCKET: 'audit',
  STATE_TABLE: 'state',
};

/** Its own process each time, because the restriction is process-wide. */
function decodedAfter(mode: 'direct' | 'cli' | 'handler', env: Record<string, string> = {}): unknown {
  const script = join(import.meta.dirname, '..', '..', 'fixtures', 'restricted-loaders.ts');
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...DEPLOYED_NAMES,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...env,
  };
  if (!('MEDIAGATE_STEP' in env)) delete childEnv.MEDIAGATE_STEP;
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, mode], {
    encoding: 'utf8',
    env: childEnv,
  });
  return JSON.parse(out);
}

describe('restrictSharpLoaders', () => {
  it('leaves only the allowlisted loaders in libvips: SVG is refused even when handed to sharp directly', () => {
    expect(decodedAfter('direct')).toEqual({ jpeg: true, png: true, svg: false });
  });

  it('is in force once the mediagate sanitize entry has run, which still sanitises a JPEG', () => {
    expect(decodedAfter('cli')).toEqual({ exitCode: 0, jpeg: true, png: true, svg: false });
  });

  it('is in force at cold start of the ValidateAndStrip Lambda', () => {
    // Act
    const decoded = decodedAfter('handler', {
      MEDIAGATE_STEP: 'validate-and-strip',
      AWS_REGION: 'us-east-1',
    });
    // Assess
    expect(decoded).toEqual({ jpeg: true, png: true, svg: false });
  });

  it('is left off when the handler shares its process with other steps (the local stack sets no step)', () => {
    expect(decodedAfter('handler', { AWS_REGION: 'us-east-1' })).toEqual({
      jpeg: true,
      png: true,
      svg: true,
    });
  });
});
