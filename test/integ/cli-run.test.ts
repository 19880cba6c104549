import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type FileOutcome, runFiles } from '../../cli/commands/run.js';
import { useCliWorkDir } from '../fixtures/cli-work-dir.js';

/** A stream that keeps what was written and when (ms since capture), like a terminal when `isTTY`. */
function capture(isTTY = false): {
  stream: PassThrough & { isTTY: boolean };
  text: () => string;
  lines: () => { line: string; at: number }[];
} {
  const stream = Object.assign(new PassThrough(), { isTTY });
  const started = performance.now();
  const chunks: { text: string; at: number }[] = [];
  stream.on('data', (chunk: Buffer) =>
    chunks.push({ text: chunk.toString('utf8'), at: performance.now() - started }),
  );
  return {
    stream,
    text: () => chunks.map((c) => c.text).join(''),
    lines: () =>
      chunks.flatMap((c) =>
        c.text
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => ({ line, at: c.at })),
      ),
  };
}

/** A photo whose colour differs per call, so no run answers it from the result cache of an earlier one. */
let photos = 0;
async function makePhoto(file: string): Promise<string> {
  photos += 1;
  const background = { r: 30 * photos, g: 80, b: 120 };
  await sharp({ create: { width: 640, height: 480, channels: 3, background } })
    .png()
    .toFile(file);
  return file;
}

describe('mediagate run', () => {
  const work = useCliWorkDir('mediagate-cli-');

  it('prints one JSON outcome per file, says plainly why a bad file was rejected, and exits 0', async () => {
    // Prepare
    const photo = await makePhoto(path.join(work.path, 'photo.png'));
    const fake = path.join(work.path, 'photo.jpg');
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
    const good = outcomes.find((o) => o.file === photo);
    const bad = outcomes.find((o) => o.file === fake);
    expect(outcomes).toHaveLength(2);
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
    const fake = path.join(work.path, 'scan.png');
    fs.writeFileSync(fake, Buffer.from('%PDF-1.7\n% not an image\n'));
    const out = capture();

    // Act
    const exitCode = await runFiles([fake], { tenant: 'cli', json: false, timeoutMs: 120_000 }, out.stream);

    // Assess
    expect(exitCode).toBe(0);
    expect(out.text()).toMatch(/scan\.png {2}→ {2}REJECTED (TYPE_MISMATCH|UNSUPPORTED_TYPE)/);
    expect(out.text()).toContain('1 file(s), total $0.000000');
  });

  it('writes each outcome as its file finishes, keeping the progress line on a terminal stderr only', async () => {
    // Prepare: the photo waits 1.5 s for the model (the rehearsal clock's attempt timeout is 2 s); the
    // fake is rejected before any model call.
    const photo = await makePhoto(path.join(work.path, 'slow.png'));
    const fake = path.join(work.path, 'fast.jpg');
    fs.writeFileSync(fake, 'not a JPEG either\n');
    const out = capture();
    const err = capture(true);

    // Act
    await runFiles(
      [photo, fake],
      { tenant: 'cli', json: true, simLatencyMs: '1500', timeoutMs: 120_000 },
      out.stream,
      err.stream,
    );

    // Assess: the fast file's line came out first, well before the slow one's.
    const [first, second] = out.lines();
    expect((JSON.parse(first?.line ?? '{}') as FileOutcome).file).toBe(fake);
    expect((JSON.parse(second?.line ?? '{}') as FileOutcome).file).toBe(photo);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThan(1000);
    expect(out.text()).not.toContain('\r');
    expect(err.text()).toMatch(/1\/2 done · [\d.]+ files\/min · ETA \d+:\d\d/);
    expect(err.text().endsWith('\r\u001b[2K')).toBe(true);
  });

  it('with --concurrency 1 starts a file only when the one before it is done', async () => {
    // Prepare: the slow photo first; in parallel the fast rejection would finish before it.
    const photo = await makePhoto(path.join(work.path, 'first.png'));
    const fake = path.join(work.path, 'second.jpg');
    fs.writeFileSync(fake, 'still not a JPEG\n');
    const out = capture();

    // Act
    await runFiles(
      [photo, fake],
      { tenant: 'cli', json: true, simLatencyMs: '1000', timeoutMs: 120_000, concurrency: 1 },
      out.stream,
    );

    // Assess
    const files = out.lines().map(({ line }) => (JSON.parse(line) as FileOutcome).file);
    expect(files).toEqual([photo, fake]);
  });

  it('refuses a concurrency that is not a whole number of at least 1', async () => {
    // Act
    const refused = runFiles(['README.md'], { tenant: 'cli', json: true, timeoutMs: 1000, concurrency: 0 });

    // Assess
    await expect(refused).rejects.toThrow(/--concurrency/);
  });
});
