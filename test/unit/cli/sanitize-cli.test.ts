import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SanitizeReport } from '../../../cli/commands/sanitize.js';
import { runSanitizeCommand } from '../../../cli/commands/sanitize.js';
import { encryptedPdf, twoPageClaimForm } from '../../../scripts/make-documents.js';
import {
  GENERATED_DIR,
  jpegWithEverything,
  plainPng,
  svgWithScript,
  wavWithInfo,
} from '../../../scripts/make-fixtures.js';
import { iphoneHeic } from '../../../scripts/make-heic.js';
import { metadataLeaks } from '../../fixtures/exiftool.js';

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

async function run(argv: string[], tty = false) {
  const stdout = new Capture();
  const stderr = new Capture(tty);
  const code = await runSanitizeCommand(argv, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('mediagate sanitize', () => {
  let dir: string;
  let out: string;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    // The folder is git-ignored, so on a fresh clone nothing has created it yet.
    mkdirSync(GENERATED_DIR, { recursive: true });
    dir = mkdtempSync(join(GENERATED_DIR, 'cli-'));
    out = join(dir, 'out');
    const write = (name: string, bytes: Buffer) => {
      files[name] = join(dir, name);
      writeFileSync(files[name], bytes);
    };
    write('phone.jpg', await jpegWithEverything(1600, 1200));
    write('renamed.jpg', await plainPng());
    write('evil.jpg', svgWithScript());
    write('memo.wav', wavWithInfo());
    write('claim.pdf', await twoPageClaimForm());
    write('locked.pdf', encryptedPdf());
    write('iphone.heic', iphoneHeic());
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('sanitises a phone photo, writes it to --out and reports everything with exit 0', async () => {
    // Act
    const result = await run([files['phone.jpg'] as string, '--out', out, '--json']);
    // Assess
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as SanitizeReport;
    expect(report).toMatchObject({
      status: 'ok',
      reason: null,
      inputType: 'image/jpeg',
      outputType: 'image/jpeg',
      width: 768,
      height: 1024,
      durationSec: null,
      imageTokens: { before: 765, after: 765 },
    });
    expect(report.removed).toEqual(expect.arrayContaining(['EXIF:GPSLatitude', 'EXIF:SerialNumber', 'XMP']));
    expect(report.outputPath).toBe(join(out, 'phone.sanitized.jpg'));
    const written = readFileSync(report.outputPath as string);
    expect(report.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(metadataLeaks(written, 'jpg')).toEqual([]);
    expect(result.stdout).not.toMatch(/Jane|SN-4471/);
  });

  it('sanitises a voice note to 16 kHz mono WAV and reports its duration', async () => {
    // Act
    const result = await run([files['memo.wav'] as string, '--out', out, '--json']);
    // Assess
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as SanitizeReport;
    expect(report).toMatchObject({
      status: 'ok',
      inputType: 'audio/wav',
      outputType: 'audio/wav',
      width: null,
    });
    expect(report.durationSec).toBeGreaterThan(2);
    expect(report.removed).toEqual(expect.arrayContaining(['RIFF:title', 'RIFF:artist', 'RIFF:comment']));
    expect(metadataLeaks(readFileSync(report.outputPath as string), 'wav')).toEqual([]);
  });

  it('writes one image per page of a PDF and lists them in `pages`, keeping the single-image fields', async () => {
    // Act
    const result = await run([files['claim.pdf'] as string, '--out', out, '--json']);
    // Assess
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as SanitizeReport;
    expect(report).toMatchObject({ status: 'ok', inputType: 'application/pdf', outputType: 'image/jpeg' });
    expect(report.pages?.map((p) => p.outputPath)).toEqual([
      join(out, 'claim.p1.sanitized.jpg'),
      join(out, 'claim.p2.sanitized.jpg'),
    ]);
    expect(report.outputPath).toBe(report.pages?.[0]?.outputPath);
    for (const page of report.pages ?? []) {
      const written = readFileSync(page.outputPath);
      expect(written.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      expect(metadataLeaks(written, 'jpg')).toEqual([]);
      expect(Math.max(page.width, page.height)).toBeLessThanOrEqual(1024);
    }
  });

  it('turns a HEIC into one JPEG with no `pages`, and rejects an encrypted PDF with exit 2', async () => {
    // Act
    const heic = await run([files['iphone.heic'] as string, '--out', out, '--json']);
    const locked = await run([files['locked.pdf'] as string, '--out', out, '--json']);
    // Assess
    expect(heic.code).toBe(0);
    const report = JSON.parse(heic.stdout) as SanitizeReport;
    expect(report).toMatchObject({
      inputType: 'image/heic',
      outputType: 'image/jpeg',
      width: 360,
      height: 480,
    });
    expect(report.pages).toBeUndefined();
    expect(locked.code).toBe(2);
    expect(JSON.parse(locked.stdout)).toMatchObject({ status: 'rejected', reason: 'ENCRYPTED' });
  });

  it('rejects a PNG named .jpg with TYPE_MISMATCH and exit 2, writing nothing', async () => {
    // Act
    const result = await run([files['renamed.jpg'] as string, '--out', join(dir, 'rejected-out'), '--json']);
    // Assess
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as SanitizeReport;
    expect(report).toMatchObject({
      status: 'rejected',
      reason: 'TYPE_MISMATCH',
      inputType: 'image/png',
      outputPath: null,
    });
  });

  it('checks bytes only with --type none', async () => {
    // Act
    const result = await run([files['renamed.jpg'] as string, '--out', out, '--json', '--type', 'none']);
    // Assess
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as SanitizeReport).outputType).toBe('image/jpeg');
  });

  it('reports a batch as an array, exits 2 when any file is rejected, and shows progress only on a terminal', async () => {
    // Prepare
    const batch = [files['phone.jpg'], files['evil.jpg'], files['memo.wav']] as string[];
    // Act
    const onTerminal = await run([...batch, '--out', out, '--json'], true);
    const piped = await run([...batch, '--out', out, '--json'], false);
    // Assess
    expect(onTerminal.code).toBe(2);
    const reports = JSON.parse(onTerminal.stdout) as SanitizeReport[];
    expect(reports.map((report) => report.status)).toEqual(['ok', 'rejected', 'ok']);
    expect(reports[1]?.reason).toBe('UNSUPPORTED_TYPE');
    expect(onTerminal.stderr).toContain('3/3');
    expect(piped.stderr).toBe('');
  });

  it('prints one human-readable line per file without --json', async () => {
    // Act
    const result = await run([files['phone.jpg'] as string, files['evil.jpg'] as string, '--out', out]);
    // Assess
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ok .*image tokens 765 → 765/);
    expect(lines[1]).toMatch(/^rejected .*UNSUPPORTED_TYPE/);
  });

  it('exits 1 with usage for a missing --out, an unknown flag or an unreadable file', async () => {
    // Act
    const noOut = await run([files['phone.jpg'] as string]);
    const unknown = await run([files['phone.jpg'] as string, '--out', out, '--bogus']);
    const missing = await run([join(dir, 'does-not-exist.jpg'), '--out', out]);
    // Assess
    expect([noOut.code, unknown.code, missing.code]).toEqual([1, 1, 1]);
    expect(noOut.stderr).toMatch(/--out DIR is required/);
    expect(missing.stderr).toMatch(/ENOENT/);
  });
});
