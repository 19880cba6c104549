/**
 * Local-stack throughput: 100 mixed files through `mediagate run`'s own batch loop (runBatch), cache off,
 * simulator 250-350 ms. The mix is what a batch of real uploads looks like: photos of several sizes and
 * formats, a few voice notes, a few files the pipeline (or the presign step) rejects. Every photo is
 * distinct and the state directory is new, so no answer comes from the cache.
 *
 *   npx tsx bench/throughput.ts [--files 100] [--concurrency 4] [--json]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { type FileOutcome, runBatch } from '../cli/commands/run.js';
import { startLocalStack } from '../infra/local/stack.js';
import { argValue, table } from './e2e-stats.js';

export interface ThroughputBenchOptions {
  readonly files: number;
  readonly concurrency: number;
  readonly latencyMs: { min: number; max: number };
}

export interface ThroughputBenchResult {
  readonly files: number;
  readonly concurrency: number;
  readonly mix: Readonly<Record<string, number>>;
  readonly statuses: Readonly<Record<string, number>>;
  readonly cached: number;
  readonly seconds: number;
  readonly filesPerMinute: number;
}

/** Photo sizes in the mix (width × height, format), cycled; most are phone-photo sized. */
const PHOTOS = [
  { width: 640, height: 480, format: 'jpeg' },
  { width: 1600, height: 1200, format: 'jpeg' },
  { width: 1024, height: 768, format: 'png' },
  { width: 4000, height: 3000, format: 'jpeg' },
  { width: 800, height: 800, format: 'webp' },
] as const;

/** A distinct picture per id: colour and a shape vary, so each is a cache miss. */
async function photo(id: number, spec: (typeof PHOTOS)[number]): Promise<Buffer> {
  const hue = (id * 47) % 360;
  const { width, height } = spec;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="${width}" height="${height}" fill="hsl(${hue},60%,55%)"/>
    <circle cx="${(width * ((id * 37) % 100)) / 100}" cy="${(height * ((id * 53) % 100)) / 100}" r="${height / 6}" fill="hsl(${(hue + 180) % 360},70%,40%)"/>
  </svg>`;
  return sharp(Buffer.from(svg)).toFormat(spec.format).toBuffer();
}

/** A few seconds of a tone as 16-bit mono WAV; the pitch differs per id. */
function voiceNote(id: number, seconds = 3, rate = 16_000): Buffer {
  const samples = seconds * rate;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  const pitch = 220 + id * 15;
  for (let i = 0; i < samples; i += 1)
    wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * pitch * i) / rate)), 44 + i * 2);
  return wav;
}

/** Files the pipeline refuses: a text file as .jpg, a PDF as .png, an extension no media type has. */
const REJECTS = [
  { name: 'notes.jpg', body: 'this is a text file, not a JPEG\n' },
  { name: 'scan.png', body: '%PDF-1.7\n% not an image\n' },
  { name: 'readme.txt', body: 'plain text\n' },
] as const;

/** Writes the mix into `dir`: ~8 % voice notes, ~7 % rejects, the rest photos. */
async function writeMix(
  dir: string,
  count: number,
): Promise<{ files: string[]; mix: Record<string, number> }> {
  const audio = Math.max(1, Math.round(count * 0.08));
  const rejects = Math.max(1, Math.round(count * 0.07));
  const files: string[] = [];
  const mix: Record<string, number> = { photos: 0, 'voice notes': 0, rejects: 0 };
  for (let id = 0; id < count; id += 1) {
    // Spread the kinds through the batch, as a real folder of uploads would be.
    let file: string;
    if (id % Math.floor(count / audio) === 1 && (mix['voice notes'] ?? 0) < audio) {
      file = path.join(dir, `voice-${id}.wav`);
      writeFileSync(file, voiceNote(id));
      mix['voice notes'] = (mix['voice notes'] ?? 0) + 1;
    } else if (id % Math.floor(count / rejects) === 2 && (mix.rejects ?? 0) < rejects) {
      const reject = REJECTS[id % REJECTS.length] ?? REJECTS[0];
      file = path.join(dir, `${id}-${reject.name}`);
      writeFileSync(file, reject.body);
      mix.rejects = (mix.rejects ?? 0) + 1;
    } else {
      const spec = PHOTOS[id % PHOTOS.length] ?? PHOTOS[0];
      file = path.join(dir, `photo-${id}.${spec.format === 'jpeg' ? 'jpg' : spec.format}`);
      writeFileSync(file, await photo(id, spec));
      mix.photos = (mix.photos ?? 0) + 1;
    }
    files.push(file);
  }
  return { files, mix };
}

export async function runThroughputBench(options: ThroughputBenchOptions): Promise<ThroughputBenchResult> {
  // Never send bench traffic to a real OpenAI account (see bench/e2e.ts).
  delete process.env.OPENAI_API_KEY;
  delete process.env.OPENAI_BASE_URL;
  mkdirSync(path.resolve('.mediagate'), { recursive: true });
  const workDir = mkdtempSync(path.join(path.resolve('.mediagate'), 'bench-throughput-'));
  const mediaDir = path.join(workDir, 'files');
  mkdirSync(mediaDir);
  const { files, mix } = await writeMix(mediaDir, options.files);
  const warmUp = path.join(workDir, 'warm-up.jpg');
  writeFileSync(warmUp, await photo(options.files + 1, PHOTOS[0]));
  const stack = await startLocalStack({
    stateDir: path.join(workDir, 'state'),
    simulatorLatencyMs: options.latencyMs,
  });
  try {
    const run = { tenant: 'throughput', json: true, timeoutMs: 300_000, concurrency: options.concurrency };
    // Not measured: every handler loads (and tesseract starts) once.
    await runBatch(stack, [warmUp], run);
    const started = performance.now();
    const outcomes: FileOutcome[] = await runBatch(stack, files, run);
    const seconds = (performance.now() - started) / 1000;
    const statuses: Record<string, number> = {};
    for (const outcome of outcomes) {
      const label = outcome.status === 'processed' ? 'processed' : `${outcome.status} ${outcome.reason}`;
      statuses[label] = (statuses[label] ?? 0) + 1;
    }
    return {
      files: files.length,
      concurrency: options.concurrency,
      mix,
      statuses,
      cached: outcomes.filter((o) => o.cached).length,
      seconds: Math.round(seconds * 10) / 10,
      filesPerMinute: Math.round((files.length / seconds) * 60 * 10) / 10,
    };
  } finally {
    await stack.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

export function renderThroughputBench(result: ThroughputBenchResult): string {
  const summary = table([
    {
      files: result.files,
      concurrency: result.concurrency,
      cached: result.cached,
      seconds: result.seconds,
      'files/min': result.filesPerMinute,
    },
  ]);
  const mix = Object.entries(result.mix)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  const statuses = Object.entries(result.statuses)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  return `${summary}\n\nMix: ${mix}\nOutcomes: ${statuses}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const options: ThroughputBenchOptions = {
    files: Number(argValue(args, '--files') ?? 100),
    concurrency: Number(argValue(args, '--concurrency') ?? 4),
    latencyMs: { min: 250, max: 350 },
  };
  const result = await runThroughputBench(options);
  if (args.includes('--json')) console.log(JSON.stringify({ bench: 'throughput', options, result }));
  else console.log(renderThroughputBench(result));
}
