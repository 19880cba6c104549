import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScanCommand } from '../../cli/commands/scan.js';
import { createLocalPiiDetector } from '../../functions/adapters/local-pii-detector.js';
import { createTesseractOcr } from '../../functions/adapters/tesseract-ocr.js';
import { runDlpCheck } from '../../functions/dlp/scan.js';
import type { PipelineState } from '../../functions/pipeline/document.js';
import { startLocalStack } from '../../infra/local/stack.js';
import { type DlpFixtures, makeDlpFixtures } from '../../scripts/make-dlp-fixtures.js';
import { captureOutput } from '../fixtures/capture-output.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
let fixtures: DlpFixtures;
let dir: string;

beforeAll(async () => {
  fixtures = await makeDlpFixtures({ forms: 3 });
  dir = await mkdtemp(join(tmpdir(), 'mediagate-dlp-leak-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Fixture values found in `output`, as written or with separators removed; reports only indexes. */
function leakedValueIndexes(output: string, values: readonly string[]): number[] {
  return values.flatMap((v, i) => {
    const compact = v.replace(/[\s-]/g, '');
    return output.includes(v) || (compact.length >= 9 && output.includes(compact)) ? [i] : [];
  });
}

describe('no fixture PII value reaches output, logs or events', () => {
  it('keeps values out of DLP outcomes and out of anything printed while checking', async () => {
    // Prepare
    const detector = createLocalPiiDetector();
    const ocr = createTesseractOcr();
    const events: string[] = [];
    // Act
    const printed = await captureOutput(async () => {
      for (const tenant of ['demo', 'redact-demo']) {
        for (const t of fixtures.texts) {
          const outcome = await runDlpCheck(
            { detector },
            {
              tenant,
              instructions: t.text,
              media: { kind: 'audio', mime: 'audio/wav', bytes: Buffer.alloc(0) },
            },
          );
          // The event gets findings and decision; promptText goes to the processed bucket for the model
          // and keeps what the policy allows (dates of birth by default), so it is checked where the
          // policy redacts everything found.
          const { promptText, redactedImage: _none, ...record } = outcome;
          events.push(JSON.stringify(record));
          if (tenant === 'redact-demo') events.push(promptText);
        }
        for (const form of fixtures.forms) {
          const { redactedImage: _image, ...outcome } = await runDlpCheck(
            { detector, ocr },
            {
              tenant,
              instructions: 'Summarise',
              media: { kind: 'image', mime: form.mime, bytes: form.bytes },
            },
          );
          events.push(JSON.stringify(outcome));
        }
      }
    });
    await ocr.close();
    // Assess
    expect(leakedValueIndexes(printed, fixtures.values)).toEqual([]);
    expect(leakedValueIndexes(events.join('\n'), fixtures.values)).toEqual([]);
  });

  it('keeps values out of what `mediagate scan` prints, in text and JSON', async () => {
    // Prepare
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    for (const form of fixtures.forms) await writeFile(join(dir, form.file), form.bytes);
    // Act
    const printed = await captureOutput(async () => {
      for (const form of fixtures.forms) {
        await runScanCommand([join(dir, form.file), '--tenant', 'redact-demo'], io);
        await runScanCommand([join(dir, form.file), '--json', '--redact', '--out', join(dir, 'out')], io);
      }
      for (const t of fixtures.texts.slice(0, 150)) await runScanCommand(['--text', t.text, '--json'], io);
    });
    // Assess
    expect(lines.length).toBeGreaterThan(0);
    expect(leakedValueIndexes(`${printed}\n${lines.join('\n')}`, fixtures.values)).toEqual([]);
  });

  it('keeps values out of what the evaluation script prints, and the script succeeds', async () => {
    // Act
    const { stdout, stderr, code } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'scripts', 'dlp-eval.ts'), '--forms', '3'],
      { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
    ).then(
      (done) => ({ ...done, code: 0 }),
      (error: { stdout?: string; stderr?: string; code?: number | string }) => ({
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
        code: error.code ?? 'no exit code',
      }),
    );
    // Assess: leaks first, so a failure message never prints a value
    expect(leakedValueIndexes(`${stdout}\n${stderr}`, fixtures.values)).toEqual([]);
    expect(code, 'dlp-eval.ts exit status').toBe(0);
    expect(stdout).toContain('CREDIT_DEBIT_NUMBER');
  });

  it('keeps values out of what the DlpCheck handler logs and publishes on the local stack, blocked or redacted', async () => {
    // Prepare: the real handlers on the local stack, Powertools logging everything it would
    const stateDir = await mkdtemp(join(tmpdir(), 'mediagate-dlp-leak-stack-'));
    const logLevel = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    const stack = await startLocalStack({ stateDir, environment: { POWERTOOLS_LOG_LEVEL: 'DEBUG' } });
    const { logger } = await import('../../functions/pipeline/step.js');
    logger.setLogLevel('DEBUG');
    const form = fixtures.forms[0];
    const withEmail = fixtures.texts.find((t) => t.spans.some((span) => span.type === 'EMAIL'));
    if (!form || !withEmail) throw new Error('the fixture set has no form or no text with an e-mail address');
    const upload = async (tenant: string): Promise<string> => {
      const presign = await fetch(stack.endpoints.presign, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tenant, contentType: form.mime, instructions: withEmail.text }),
      });
      const { url, fields, key } = (await presign.json()) as {
        url: string;
        fields: Record<string, string>;
        key: string;
      };
      const body = new FormData();
      for (const [name, value] of Object.entries(fields)) body.append(name, value);
      body.append('file', new Blob([form.bytes], { type: form.mime }));
      expect((await fetch(url, { method: 'POST', body })).status).toBeLessThan(300);
      return key;
    };
    const outcomes: PipelineState[] = [];
    let printed = '';
    try {
      // Act
      printed = await captureOutput(async () => {
        for (const tenant of ['demo', 'redact-demo']) {
          outcomes.push((await stack.waitForOutcome(await upload(tenant))).detail as PipelineState);
        }
      });
    } finally {
      await stack.stop();
      if (logLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = logLevel;
    }
    const events = await readFile(join(stateDir, 'events.jsonl'), 'utf8');
    await rm(stateDir, { recursive: true, force: true });
    // Assess: both cases ran, the capture saw the DlpCheck handler's own log lines, and no value leaked
    expect(outcomes.map((o) => [o.status, o.dlp?.decision])).toEqual([
      ['rejected', 'block'],
      ['processed', 'redact'],
    ]);
    expect(printed).toContain('"step":"DlpCheck"');
    expect(events.split('\n').filter((line) => line.includes('"source":"mediagate"'))).toHaveLength(2);
    expect(leakedValueIndexes(printed, fixtures.values)).toEqual([]);
    expect(leakedValueIndexes(events, fixtures.values)).toEqual([]);
  });
});
