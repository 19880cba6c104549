import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileOutcome, runFiles } from '../../cli/commands/run.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('mediagate run', () => {
  let workDir: string;
  const previousStateDir = process.env.MEDIAGATE_STATE_DIR;

  beforeAll(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-cli-'));
    process.env.MEDIAGATE_STATE_DIR = path.join(workDir, 'state');
  });

  afterAll(() => {
    if (previousStateDir === undefined) delete process.env.MEDIAGATE_STATE_DIR;
    else process.env.MEDIAGATE_STATE_DIR = previousStateDir;
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('prints one JSON outcome per file, says plainly why a bad file was rejected, and exits 0', async () => {
    // Prepare
    const photo = path.join(workDir, 'photo.png');
    await sharp({ create: { width: 640, height: 480, channels: 3, background: '#357' } })
      .png()
      .toFile(photo);
    const fake = path.join(workDir, 'photo.jpg');
    fs.writeFileSync(fake, 'this is a text file, not a JPEG\n');
    const out = capture();

    // Act
    const exitCode = await runFiles(
      [photo, fake],
      { tenant: 'cli', json: true, timeoutMs: 120_000 },
      out.stream,
    );

    // Assess
    expect(exitCode).toBe(0);
    const outcomes = out
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as FileOutcome);
    const [good, bad] = outcomes;
    expect(good).toMatchObject({
      file: photo,
      status: 'processed',
      reason: null,
      model: expect.stringMatching(/^gpt-4o/),
    });
    expect(good?.requestId).toMatch(/^req_/);
    expect(good?.costMicroUsd).toBeGreaterThan(0);
    expect(good?.steps.map((step) => step.name)).toEqual([
      'ValidateAndStrip',
      'Preprocess',
      'DlpCheck',
      'InvokeModel',
      'RecordCost',
    ]);
    expect(bad).toMatchObject({ file: fake, status: 'rejected', model: null, costMicroUsd: 0 });
    expect(['TYPE_MISMATCH', 'UNSUPPORTED_TYPE']).toContain(bad?.reason);
    expect(bad?.key).toMatch(/^incoming\/cli\//);
  });

  it('renders a table that names the rejection reason and the total cost', async () => {
    // Prepare
    const fake = path.join(workDir, 'scan.png');
    fs.writeFileSync(fake, Buffer.from('%PDF-1.7\n% not an image\n'));
    const out = capture();

    // Act
    const exitCode = await runFiles([fake], { tenant: 'cli', json: false, timeoutMs: 120_000 }, out.stream);

    // Assess
    expect(exitCode).toBe(0);
    expect(out.text()).toMatch(/scan\.png {2}→ {2}REJECTED (TYPE_MISMATCH|UNSUPPORTED_TYPE)/);
    expect(out.text()).toContain('1 file(s), total $0.000000');
  });
});
