/**
 * Media bench (numbers never in tests): sanitise + normalise against the bare tools, on inputs it
 * generates into bench/.work/media (12 MP JPEG, 24 MP PNG, 50 MP JPEG, 60 s MP3 with tags and cover art).
 * "mediagate" is the one-pass path (the CLI's); "two-step" is what the deployed functions run:
 * ValidateAndStrip's full-size clean copy, then Preprocess on it (without S3 in between).
 * Every measured run is its own process under /usr/bin/time, which gives its wall time and peak RSS;
 * Node runs also report the operation's own wall time (without Node's ~50 ms start-up), and that is what
 * the ours-vs-bare-sharp ratio uses, since both sides pay the same start-up. Medians of `--runs` runs.
 *
 *   npx tsx bench/media.ts [--runs 7] [--json]
 *
 * Targets (issue 3): 12 MP JPEG within 1.2× of a bare sharp resize and ≥ 3× faster than ImageMagick;
 * peak RSS < 256 MB on the 50 MP JPEG; audio within 1.15× of the bare ffmpeg command.
 *
 * Documents (issue 15): a 10-page scanned PDF rendered page by page to model-ready JPEGs (MuPDF wasm)
 * against poppler's `pdftoppm` at the same size, and a 12 MP HEIC decoded to JPEG (libheif wasm) against
 * libheif's `heif-convert`, in the same interleaved run. `--only documents` runs just those.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import sharp from 'sharp';
import { ffmpegPath } from '../functions/media/ffmpeg.js';
import { scannedPageImage, scannedPdf } from '../scripts/make-documents.js';
import { photoLikeImage, plainJpeg, speechWav } from '../scripts/make-fixtures.js';
import { IPHONE_HEIC } from '../scripts/make-heic.js';

const ROOT = resolve(import.meta.dirname, '..');
const WORK = join(ROOT, 'bench', '.work', 'media');
const TIME = '/usr/bin/time';
/** The baselines by absolute path: a `convert` elsewhere on PATH may be a stand-in, not ImageMagick. */
const VIPSTHUMBNAIL = '/usr/bin/vipsthumbnail';
const IMAGEMAGICK_CONVERT = '/usr/bin/convert';
const PDFTOPPM = '/usr/bin/pdftoppm';
const HEIF_CONVERT = '/usr/bin/heif-convert';
const HEIF_ENC = '/usr/bin/heif-enc';

/** Debian package that brings each baseline tool. */
const BASELINE_PACKAGES: Readonly<Record<string, string>> = {
  [VIPSTHUMBNAIL]: 'libvips-tools',
  [IMAGEMAGICK_CONVERT]: 'imagemagick',
  [TIME]: 'time',
  [PDFTOPPM]: 'poppler-utils',
  [HEIF_CONVERT]: 'libheif-examples',
};

/**
 * Installs the baselines this bench compares against when the machine lacks them. Only the bench needs
 * them (tests and CI do not), so they are installed here, when it runs, and it says so.
 */
function ensureBaselineTools(): void {
  const missing = Object.entries(BASELINE_PACKAGES).filter(([tool]) => !existsSync(tool));
  if (missing.length === 0) return;
  const packages = missing.map(([, name]) => name);
  process.stderr.write(
    `media bench: installing Debian's ${packages.join(', ')} for ${missing.map(([tool]) => tool).join(', ')} (apt-get)\n`,
  );
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (error) {
    // No apt (or no root): the bench still measures mediagate, and says which baselines it skips.
    const skipped = missing.filter(([tool]) => !existsSync(tool)).map(([tool]) => tool);
    process.stderr.write(
      `media bench: apt-get is unavailable (${(error as Error).message.split('\n')[0]}); skipping the baselines ${skipped.join(', ')}\n`,
    );
  }
}

/** Jobs whose baseline tool is missing are left out (and `ensureBaselineTools` said so). */
function available(jobs: readonly Job[]): Job[] {
  return jobs.filter((job) => !job.command.startsWith('/usr/bin/') || existsSync(job.command));
}

export interface Measurement {
  readonly input: string;
  readonly tool: string;
  /** Median wall time of the whole process, ms. */
  readonly processMs: number;
  /** Median wall time of the operation inside a Node process (null for external tools), ms. */
  readonly opMs: number | null;
  /** Two-step path only: median wall time of ValidateAndStrip's and Preprocess's parts, ms. */
  readonly stepsMs?: readonly number[];
  /** Median peak RSS, MB (for ours on audio: the largest of Node and its ffmpeg children). */
  readonly peakRssMb: number;
}

export interface MediaBenchResult {
  readonly measurements: readonly Measurement[];
  readonly ratios: Readonly<Record<string, number>>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

interface BenchInputs {
  readonly '12MP.jpg': string;
  readonly '24MP.png': string;
  readonly '50MP.jpg': string;
  readonly '60s.mp3': string;
}

async function prepareInputs(): Promise<BenchInputs> {
  mkdirSync(WORK, { recursive: true });
  const files: BenchInputs = {
    '12MP.jpg': join(WORK, '12mp.jpg'),
    '24MP.png': join(WORK, '24mp.png'),
    '50MP.jpg': join(WORK, '50mp.jpg'),
    '60s.mp3': join(WORK, '60s.mp3'),
  };
  const photo = async (width: number, height: number): Promise<Buffer> => {
    // A scene plus sensor-like noise, so the JPEG's entropy decoding costs what a real photo's does.
    const scene = await (await photoLikeImage(width, height)).raw().toBuffer();
    const noise = await sharp({
      create: {
        width,
        height,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 12 },
      },
    })
      .raw()
      .toBuffer();
    for (let i = 0; i < scene.length; i++)
      scene[i] = Math.max(0, Math.min(255, (scene[i] ?? 0) + (noise[i] ?? 128) - 128));
    return sharp(scene, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 85 })
      .toBuffer();
  };
  if (!existsSync(files['12MP.jpg'])) writeFileSync(files['12MP.jpg'], await photo(4000, 3000));
  if (!existsSync(files['50MP.jpg'])) writeFileSync(files['50MP.jpg'], await photo(8660, 5773));
  if (!existsSync(files['24MP.png'])) {
    writeFileSync(files['24MP.png'], await (await photoLikeImage(6000, 4000)).png().toBuffer());
  }
  if (!existsSync(files['60s.mp3'])) {
    const speech = join(WORK, 'speech.wav');
    const cover = join(WORK, 'cover.jpg');
    writeFileSync(speech, speechWav());
    writeFileSync(cover, await plainJpeg(300, 300));
    execFileSync(ffmpegPath(), [
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-stream_loop',
      '-1',
      '-i',
      speech,
      '-i',
      cover,
      '-map',
      '0:a',
      '-map',
      '1:v',
      '-t',
      '60',
      '-ac',
      '2',
      '-ar',
      '44100',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '128k',
      '-c:v',
      'copy',
      '-disposition:v',
      'attached_pic',
      '-metadata',
      'title=Bench voice note',
      '-metadata',
      'artist=Jane Example',
      files['60s.mp3'],
    ]);
  }
  return files;
}

interface DocumentInputs {
  readonly '10p.pdf': string;
  readonly '12MP.heic': string;
}

/** Pages of the bench PDF: a scanned form, as a phone scanner app stores it (one JPEG per page). */
export const BENCH_PDF_PAGES = 10;

async function prepareDocumentInputs(): Promise<DocumentInputs> {
  mkdirSync(WORK, { recursive: true });
  const files: DocumentInputs = { '10p.pdf': join(WORK, '10p.pdf'), '12MP.heic': join(WORK, '12mp.heic') };
  if (!existsSync(files['10p.pdf'])) {
    const pages = await Promise.all(
      Array.from({ length: BENCH_PDF_PAGES }, (_, i) =>
        scannedPageImage(`CLAIM FORM PAGE ${i + 1}`, [
          'Claimant: Jane Example',
          'Policy 4471-22',
          `Item ${i + 1}`,
        ]),
      ),
    );
    writeFileSync(files['10p.pdf'], await scannedPdf(pages));
  }
  if (!existsSync(files['12MP.heic'])) {
    // A phone-sized HEIC needs an HEVC encoder (heif-enc, from the same package as heif-convert); without
    // it the bench decodes the committed 480×360 fixture instead.
    const jpeg = join(WORK, '12mp-for-heic.jpg');
    if (existsSync(HEIF_ENC)) {
      writeFileSync(jpeg, await (await photoLikeImage(4032, 3024)).jpeg({ quality: 90 }).toBuffer());
      execFileSync(HEIF_ENC, ['-q', '50', '-o', files['12MP.heic'], jpeg], { stdio: 'ignore' });
    } else {
      process.stderr.write('media bench: no heif-enc; the HEIC input is the 480×360 fixture\n');
      writeFileSync(files['12MP.heic'], readFileSync(IPHONE_HEIC));
    }
  }
  return files;
}

async function bundleWorker(): Promise<string> {
  const out = join(WORK, 'media-worker.mjs');
  await build({
    entryPoints: [join(ROOT, 'bench', 'media-worker.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // The wasm engines load their .wasm next to their own module, so they stay in node_modules.
    external: ['sharp', '@ffmpeg-installer/ffmpeg', 'mupdf', 'libheif-js', 'libheif-js/*'],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'error',
  });
  return out;
}

interface Run {
  readonly processMs: number;
  readonly opMs: number | null;
  readonly stepsMs?: readonly number[];
  readonly peakRssMb: number;
}

/**
 * Runs a command under GNU time; its last stderr line is "<elapsed s> <max RSS KB>" (the RSS of the
 * largest process in the tree). Without GNU time: wall time from here, RSS only from Node workers.
 */
function timed(command: string, args: string[]): Run {
  const withTime = existsSync(TIME);
  const started = performance.now();
  const result = withTime
    ? spawnSync(TIME, ['-f', '%e %M', command, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    : spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr.slice(-500)}`);
  const worker = result.stdout.trim().startsWith('{')
    ? (JSON.parse(result.stdout) as { ms: number; maxRssKb: number; stepsMs?: number[] })
    : null;
  if (!withTime) {
    return {
      processMs: wallMs,
      opMs: worker?.ms ?? null,
      stepsMs: worker?.stepsMs,
      peakRssMb: worker ? worker.maxRssKb / 1024 : Number.NaN,
    };
  }
  const last = result.stderr.trim().split('\n').at(-1) ?? '';
  const [elapsed, rssKb] = last.split(' ').map(Number);
  return {
    processMs: (elapsed ?? Number.NaN) * 1000,
    opMs: worker?.ms ?? null,
    stepsMs: worker?.stepsMs,
    peakRssMb: (rssKb ?? Number.NaN) / 1024,
  };
}

interface Job {
  readonly input: string;
  readonly tool: string;
  readonly command: string;
  readonly args: string[];
}

/**
 * The tools for one input run interleaved (A B C D, A B C D, …) after one discarded warm-up each, so a
 * burst of load from elsewhere on a shared machine hits every tool alike instead of one tool's runs.
 */
function measureInterleaved(jobs: readonly Job[], runs: number): Measurement[] {
  for (const job of jobs) timed(job.command, job.args);
  const samples = jobs.map(() => [] as Run[]);
  for (let r = 0; r < runs; r++) {
    for (const [i, job] of jobs.entries()) samples[i]?.push(timed(job.command, job.args));
  }
  return jobs.map((job, i) => {
    const mine = samples[i] ?? [];
    const ops = mine.map((s) => s.opMs).filter((v): v is number => v !== null);
    const steps = mine.map((s) => s.stepsMs).filter((v): v is readonly number[] => v !== undefined);
    return {
      input: job.input,
      tool: job.tool,
      processMs: median(mine.map((s) => s.processMs)),
      opMs: ops.length ? median(ops) : null,
      ...(steps.length
        ? { stepsMs: (steps[0] ?? []).map((_, at) => median(steps.map((s) => s[at] ?? 0))) }
        : {}),
      peakRssMb: median(mine.map((s) => s.peakRssMb)),
    };
  });
}

export async function runMediaBench(
  options: { runs?: number; only?: 'documents' } = {},
): Promise<MediaBenchResult> {
  const runs = options.runs ?? 7;
  ensureBaselineTools();
  const worker = await bundleWorker();
  const node = process.execPath;
  const out = join(WORK, 'out');
  mkdirSync(out, { recursive: true });
  const measurements: Measurement[] = [];
  const ratios: Record<string, number> = {};
  await measureDocuments({ worker, node, out, runs, measurements, ratios });
  if (options.only === 'documents') return { measurements, ratios };
  const files = await prepareInputs();
  const imageJobs = (name: string, file: string): Job[] => [
    { input: name, tool: 'mediagate', command: node, args: [worker, 'mediagate', file] },
    { input: name, tool: 'two-step', command: node, args: [worker, 'two-step', file] },
    { input: name, tool: 'bare sharp', command: node, args: [worker, 'sharp', file] },
    {
      input: name,
      tool: 'vipsthumbnail',
      command: VIPSTHUMBNAIL,
      args: [file, '--size', '1024x1024', '-o', join(out, 'vips.jpg')],
    },
    {
      input: name,
      tool: 'ImageMagick',
      command: IMAGEMAGICK_CONVERT,
      args: [file, '-strip', '-resize', '1024x1024>', join(out, 'im.jpg')],
    },
  ];
  // Each tool's start-up (process, libraries) measured on a 16 px JPEG, so a ratio can also compare the
  // work itself: a warm Lambda pays Node's start-up once per container, a CLI tool once per file.
  const tiny = join(WORK, 'tiny.jpg');
  if (!existsSync(tiny)) writeFileSync(tiny, await plainJpeg(16, 16));
  measurements.push(...measureInterleaved(imageJobs('16px.jpg', tiny), runs));
  for (const name of ['12MP.jpg', '24MP.png', '50MP.jpg'] as const) {
    measurements.push(...measureInterleaved(imageJobs(name, files[name]), runs));
  }
  const audio = files['60s.mp3'];
  const bareFfmpeg = [
    '-nostdin',
    '-v',
    'error',
    '-y',
    '-i',
    audio,
    '-vn',
    '-af',
    'loudnorm=I=-16:TP=-1.5:LRA=11',
    '-ar',
    '16000',
    '-ac',
    '1',
    '-c:a',
    'pcm_s16le',
    join(out, 'ffmpeg.wav'),
  ];
  measurements.push(
    ...measureInterleaved(
      [
        { input: '60s.mp3', tool: 'mediagate', command: node, args: [worker, 'mediagate', audio] },
        { input: '60s.mp3', tool: 'two-step', command: node, args: [worker, 'two-step', audio] },
        { input: '60s.mp3', tool: 'bare ffmpeg', command: ffmpegPath(), args: bareFfmpeg },
      ],
      runs,
    ),
  );
  const find = (input: string, tool: string) =>
    measurements.find((m) => m.input === input && m.tool === tool);
  for (const input of ['12MP.jpg', '24MP.png', '50MP.jpg', '60s.mp3']) {
    const ours = find(input, 'mediagate');
    const twoStep = find(input, 'two-step');
    if (ours?.opMs && twoStep?.opMs)
      ratios[`${input} two-step (as deployed) / one-pass (op time)`] = twoStep.opMs / ours.opMs;
  }
  for (const input of ['12MP.jpg', '24MP.png', '50MP.jpg']) {
    const ours = find(input, 'mediagate');
    const bare = find(input, 'bare sharp');
    const im = find(input, 'ImageMagick');
    const twoStep = find(input, 'two-step');
    if (twoStep?.opMs && bare?.opMs)
      ratios[`${input} two-step (as deployed) / bare sharp (op time)`] = twoStep.opMs / bare.opMs;
    const vips = find(input, 'vipsthumbnail');
    if (ours?.opMs && bare?.opMs) ratios[`${input} mediagate / bare sharp (op time)`] = ours.opMs / bare.opMs;
    if (ours && im) ratios[`${input} ImageMagick / mediagate (process time)`] = im.processMs / ours.processMs;
    const oursStart = find('16px.jpg', 'mediagate');
    const imStart = find('16px.jpg', 'ImageMagick');
    if (ours && im && oursStart && imStart) {
      ratios[`${input} ImageMagick / mediagate (process time less each tool's 16 px start-up)`] =
        (im.processMs - imStart.processMs) / (ours.processMs - oursStart.processMs);
    }
    if (ours && vips)
      ratios[`${input} mediagate / vipsthumbnail (process time)`] = ours.processMs / vips.processMs;
  }
  const oursAudio = find('60s.mp3', 'mediagate');
  const bareAudio = find('60s.mp3', 'bare ffmpeg');
  if (oursAudio && bareAudio) {
    ratios['60s.mp3 mediagate / bare ffmpeg (process time)'] = oursAudio.processMs / bareAudio.processMs;
  }
  return { measurements, ratios };
}

/**
 * PDF pages and HEIC, interleaved with their baselines: `pdftoppm` renders every page to a JPEG of the
 * same long side (1024 px) that mediagate renders, `heif-convert` decodes the HEIC to a JPEG. Per-page
 * figures divide the whole document's time by its pages.
 */
async function measureDocuments(run: {
  worker: string;
  node: string;
  out: string;
  runs: number;
  measurements: Measurement[];
  ratios: Record<string, number>;
}): Promise<void> {
  const docs = await prepareDocumentInputs();
  const { worker, node, out } = run;
  const pdf = docs['10p.pdf'];
  const heic = docs['12MP.heic'];
  const pdfJobs = available([
    { input: '10p.pdf', tool: 'mediagate', command: node, args: [worker, 'mediagate', pdf] },
    { input: '10p.pdf', tool: 'two-step', command: node, args: [worker, 'two-step', pdf] },
    {
      input: '10p.pdf',
      tool: 'pdftoppm',
      command: PDFTOPPM,
      args: ['-jpeg', '-jpegopt', 'quality=85', '-scale-to', '1024', pdf, join(out, 'pdftoppm')],
    },
  ]);
  const heicJobs = available([
    { input: '12MP.heic', tool: 'mediagate', command: node, args: [worker, 'mediagate', heic] },
    { input: '12MP.heic', tool: 'two-step', command: node, args: [worker, 'two-step', heic] },
    { input: '12MP.heic', tool: 'heif-convert', command: HEIF_CONVERT, args: [heic, join(out, 'heif.jpg')] },
  ]);
  const measured = [...measureInterleaved(pdfJobs, run.runs), ...measureInterleaved(heicJobs, run.runs)];
  run.measurements.push(...measured);
  const find = (input: string, tool: string) => measured.find((m) => m.input === input && m.tool === tool);
  const ours = find('10p.pdf', 'mediagate');
  const deployed = find('10p.pdf', 'two-step');
  const poppler = find('10p.pdf', 'pdftoppm');
  if (ours?.opMs) run.ratios['10p.pdf mediagate ms per page (op time)'] = ours.opMs / BENCH_PDF_PAGES;
  if (deployed?.opMs)
    run.ratios['10p.pdf two-step (as deployed) ms per page (op time)'] = deployed.opMs / BENCH_PDF_PAGES;
  if (poppler)
    run.ratios['10p.pdf pdftoppm ms per page (process time)'] = poppler.processMs / BENCH_PDF_PAGES;
  if (ours && poppler)
    run.ratios['10p.pdf mediagate / pdftoppm (process time)'] = ours.processMs / poppler.processMs;
  const oursHeic = find('12MP.heic', 'mediagate');
  const libheif = find('12MP.heic', 'heif-convert');
  if (oursHeic && libheif)
    run.ratios['12MP.heic mediagate / heif-convert (process time)'] = oursHeic.processMs / libheif.processMs;
}

export function formatMediaBench(result: MediaBenchResult): string {
  const lines = ['input     tool            process ms    op ms   peak RSS MB   steps ms'];
  for (const m of result.measurements) {
    const steps = m.stepsMs ? m.stepsMs.map((ms) => ms.toFixed(0)).join(' + ') : '';
    lines.push(
      `${m.input.padEnd(9)} ${m.tool.padEnd(15)} ${m.processMs.toFixed(0).padStart(10)} ${(m.opMs === null ? '-' : m.opMs.toFixed(0)).padStart(8)} ${m.peakRssMb.toFixed(0).padStart(13)}   ${steps}`.trimEnd(),
    );
  }
  lines.push('', 'ratios:');
  for (const [name, value] of Object.entries(result.ratios)) {
    lines.push(
      / ms per page /.test(name) ? `  ${name}: ${value.toFixed(0)} ms` : `  ${name}: ${value.toFixed(2)}×`,
    );
  }
  return lines.join('\n');
}

if (import.meta.filename === resolve(process.argv[1] ?? '')) {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 7;
  const only =
    args.includes('--only') && args[args.indexOf('--only') + 1] === 'documents' ? 'documents' : undefined;
  const result = await runMediaBench({ runs, only });
  const inputs = { ...(await prepareDocumentInputs()), ...(only ? {} : await prepareInputs()) };
  for (const [name, file] of Object.entries(inputs)) {
    process.stderr.write(`${name}: ${(statSync(file).size / 1e6).toFixed(1)} MB\n`);
  }
  process.stdout.write(
    args.includes('--json') ? `${JSON.stringify(result, null, 2)}\n` : `${formatMediaBench(result)}\n`,
  );
}
