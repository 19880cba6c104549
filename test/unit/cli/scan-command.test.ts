import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskPreview, runScanCommand, type ScanIo } from '../../../cli/commands/scan.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mediagate-scan-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function captureIo(): ScanIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe('mediagate scan', () => {
  it('masks all but the last four characters of long values and everything of short ones', () => {
    expect(maskPreview('536-22-4417')).toBe('***-**-4417');
    expect(maskPreview('4111 1111 1111 1111')).toBe('**** **** **** 1111');
    expect(maskPreview('Jo Doe')).toBe('** ***');
  });

  it('prints findings of --text as JSON with masked previews and exits 0', async () => {
    // Prepare
    const io = captureIo();
    // Act
    const code = await runScanCommand(['--text', 'SSN: 536-22-4417, mail jo@example.com', '--json'], io);
    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(io.stdout.join('\n'));
    expect(report.decision).toBe('block');
    expect(report.findings).toMatchObject([
      { source: 'text', type: 'SSN', action: 'block', start: 5, end: 16, preview: '***-**-4417' },
      { source: 'text', type: 'EMAIL', action: 'redact' },
    ]);
    expect(io.stdout.join('\n')).not.toContain('536-22-4417');
  });

  it('exits 0 with "no findings" for clean text', async () => {
    // Prepare
    const io = captureIo();
    // Act
    const code = await runScanCommand(['--text', 'describe the photo'], io);
    // Assess
    expect(code).toBe(0);
    expect(io.stdout).toContain('no findings');
  });

  it('writes a text file with placeholders for what the policy does not allow', async () => {
    // Prepare
    const file = join(dir, 'note.txt');
    await writeFile(file, 'Card 4111 1111 1111 1111, reply to jo@example.com\n');
    const io = captureIo();
    // Act
    const code = await runScanCommand([file, '--redact', '--out', join(dir, 'out')], io);
    // Assess
    expect(code).toBe(0);
    expect(await readFile(join(dir, 'out', 'note.redacted.txt'), 'utf8')).toBe(
      'Card <CREDIT_DEBIT_NUMBER_1>, reply to <EMAIL_1>\n',
    );
  });

  it('exits 2 for a missing file and for bytes that are neither text, image nor audio', async () => {
    // Prepare
    const junk = join(dir, 'junk.bin');
    await writeFile(junk, Buffer.from([0x00, 0xff, 0x13, 0x37, 0x00, 0x01, 0x02, 0x9c, 0x00, 0x00, 0xfe]));
    const io = captureIo();
    // Act
    const missing = await runScanCommand([join(dir, 'absent.png')], io);
    const unreadable = await runScanCommand([junk], io);
    // Assess
    expect([missing, unreadable]).toEqual([2, 2]);
    expect(io.stderr.join('\n')).toContain('ENOENT');
  });

  it('exits 1 for --redact without --out and for no input at all', async () => {
    // Prepare
    const io = captureIo();
    // Act
    const codes = [await runScanCommand(['--text', 'x', '--redact'], io), await runScanCommand([], io)];
    // Assess
    expect(codes).toEqual([1, 1]);
  });

  it('scans {"id","text"} lines from --jsonl input and writes one report a line, in order', async () => {
    // Prepare
    const lines = [
      JSON.stringify({ id: 'a', text: 'card 4111 1111 1111 1111' }),
      JSON.stringify({ id: 'b', text: 'describe the photo' }),
      'not json',
    ];
    const io = { ...captureIo(), input: Readable.from(`${lines.join('\n')}\n`) };
    // Act
    const code = await runScanCommand(['--jsonl'], io);
    // Assess
    expect(code).toBe(0);
    const reports = io.stdout.map((l) => JSON.parse(l));
    expect(reports).toMatchObject([
      {
        id: 'a',
        decision: 'block',
        findings: [{ type: 'CREDIT_DEBIT_NUMBER', preview: '**** **** **** 1111' }],
      },
      { id: 'b', decision: 'allow', findings: [] },
      { id: null, error: 'not a JSON object' },
    ]);
    expect(io.stdout.join('\n')).not.toContain('4111 1111 1111 1111');
  });

  it('shows findings under the policy threshold with --min-score, as allowed', async () => {
    // Prepare: nine bare digits without a label score under the default 0.5
    const io = captureIo();
    // Act
    const code = await runScanCommand(['--text', 'number 536224418', '--min-score', '0.2', '--json'], io);
    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(io.stdout.join('\n'));
    expect(report.decision).toBe('allow');
    expect(report.findings).toMatchObject([{ type: 'SSN', action: 'allow', belowThreshold: true }]);
  });

  it('takes a text that starts with a dash as --text=-x and shows FILE as optional in its usage', async () => {
    // Prepare
    const io = captureIo();
    // Act
    const code = await runScanCommand(['--text=-x SSN 536-22-4418', '--json'], io);
    const help = captureIo();
    await runScanCommand(['--help'], help);
    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(io.stdout.join('\n')).findings).toMatchObject([{ type: 'SSN' }]);
    expect(help.stdout.join('\n')).toContain('mediagate scan [FILE] [--text STRING');
  });
});
