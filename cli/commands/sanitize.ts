/**
 * `mediagate sanitize FILE… --out DIR [--json]`: validate + strip + normalise with no AWS and no local
 * stack. Writes each model-ready output into DIR and reports what happened to each input.
 *
 * Exit status: 0 when every file was sanitised, 2 when any was rejected (a stable reason code says why),
 * 1 for a usage error (bad flags, unreadable file, unwritable DIR). Anything else is a bug.
 * With --json, stdout carries one JSON object for a single file and an array for several; progress (a
 * bar, on a terminal, for batches) goes to stderr so stdout stays machine-readable.
 *
 * The entry point (sanitize-entry.ts) calls `restrictSharpLoaders()` first: this command is all the
 * process does, so libvips may refuse every loader we do not accept.
 *
 * The declared type is taken from the file's extension, as a browser would send it (a PNG named .jpg is
 * TYPE_MISMATCH here as it is on upload); `--type` overrides it and `--type none` checks bytes only.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { OnePassOptions } from '../../functions/media/one-pass.js';
import { sanitizeAndNormalize } from '../../functions/media/one-pass.js';
import type { ImageDetail } from '../../functions/ports.js';

export interface SanitizeReport {
  readonly file: string;
  readonly status: 'ok' | 'rejected';
  readonly reason: string | null;
  readonly message: string | null;
  readonly inputType: string | null;
  readonly outputType: string | null;
  readonly outputPath: string | null;
  readonly sha256: string | null;
  readonly bytes: number | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly durationSec: number | null;
  readonly removed: readonly string[];
  /** For the whole document when `pages` is present: every page's tokens. */
  readonly imageTokens: { readonly before: number; readonly after: number } | null;
  /** Documents (PDF) only: one written image per page, in order (`outputPath` is the first). */
  readonly pages?: readonly SanitizedPage[];
}

export interface SanitizedPage {
  readonly outputPath: string;
  readonly width: number;
  readonly height: number;
}

export interface SanitizeIo {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
}

interface ParsedArgs {
  files: string[];
  out: string;
  json: boolean;
  type?: string;
  options: OnePassOptions;
}

const USAGE =
  'usage: mediagate sanitize FILE... --out DIR [--json] [--type MIME|none] [--detail low|high|auto] ' +
  '[--model ID] [--max-long-side PX] [--max-output-bytes N]';

/** What a browser would declare for these extensions; unknown extensions declare nothing. */
const TYPE_BY_EXTENSION: Readonly<Record<string, string>> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.avif': 'image/avif',
  '.heic': 'image/heic',
  '.heif': 'image/heif',
  '.svg': 'image/svg+xml',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/opus',
  '.webm': 'audio/webm',
  '.txt': 'text/plain',
  '.pdf': 'application/pdf',
};

const EXTENSION_BY_TYPE: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'audio/wav': 'wav',
  'audio/mpeg': 'mp3',
};

class UsageError extends Error {}

function positiveInt(flag: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new UsageError(`${flag} needs a positive integer`);
  return parsed;
}

function parseArgs(argv: string[]): ParsedArgs {
  const files: string[] = [];
  let out: string | undefined;
  let json = false;
  let type: string | undefined;
  const options: OnePassOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--out':
        out = value();
        break;
      case '--json':
        json = true;
        break;
      case '--type':
        type = value();
        break;
      case '--detail': {
        const detail = value();
        if (detail !== 'low' && detail !== 'high' && detail !== 'auto')
          throw new UsageError('--detail is low, high or auto');
        options.detail = detail as ImageDetail;
        break;
      }
      case '--model':
        options.model = value();
        break;
      case '--max-long-side':
        options.maxLongSide = positiveInt('--max-long-side', value());
        break;
      case '--max-output-bytes':
        options.maxOutputBytes = positiveInt('--max-output-bytes', value());
        break;
      case '--help':
      case '-h':
        throw new UsageError('');
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
        files.push(arg);
    }
  }
  if (files.length === 0) throw new UsageError('no FILE given');
  if (!out) throw new UsageError('--out DIR is required');
  return { files, out, json, type, options };
}

function declaredTypeFor(file: string, override: string | undefined): string | undefined {
  if (override === 'none') return undefined;
  return override ?? TYPE_BY_EXTENSION[extname(file).toLowerCase()];
}

/** `name.sanitized.ext` (`name.p2.sanitized.ext` for a document's page 2), with a counter when two inputs share a name. */
function outputName(file: string, outputType: string, taken: Set<string>, page?: number): string {
  const base = basename(file, extname(file)) || 'file';
  const stem = page === undefined ? base : `${base}.p${page}`;
  const ext = EXTENSION_BY_TYPE[outputType] ?? 'bin';
  let name = `${stem}.sanitized.${ext}`;
  for (let n = 2; taken.has(name); n++)
    name = `${base}-${n}${page === undefined ? '' : `.p${page}`}.sanitized.${ext}`;
  taken.add(name);
  return name;
}

function progress(io: SanitizeIo, done: number, total: number, current: string): void {
  const width = 24;
  const filled = Math.round((done / total) * width);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
  const label = current.length > 40 ? `…${current.slice(-39)}` : current;
  io.stderr.write(`\r\x1b[2K[${bar}] ${done}/${total} ${label}`);
}

function humanLine(report: SanitizeReport): string {
  if (report.status === 'rejected') return `rejected  ${report.file}: ${report.reason} (${report.message})\n`;
  const size = report.pages
    ? ` ${report.pages.length} page${report.pages.length === 1 ? '' : 's'}`
    : report.width
      ? ` ${report.width}×${report.height}`
      : ` ${report.durationSec} s`;
  const tokens = report.imageTokens
    ? `, image tokens ${report.imageTokens.before} → ${report.imageTokens.after}`
    : '';
  const removed = report.removed.length ? `, removed ${report.removed.join(' ')}` : ', no metadata found';
  return `ok        ${report.file} → ${report.outputPath} (${report.inputType} → ${report.outputType}${size}${tokens}${removed})\n`;
}

export async function sanitizeFile(
  file: string,
  outDir: string,
  taken: Set<string>,
  options: OnePassOptions,
): Promise<SanitizeReport> {
  const input = await readFile(file);
  const outcome = await sanitizeAndNormalize(input, options);
  const empty = {
    file,
    reason: null,
    message: null,
    inputType: null,
    outputType: null,
    outputPath: null,
    sha256: null,
    bytes: null,
    width: null,
    height: null,
    durationSec: null,
    removed: [],
    imageTokens: null,
  };
  if (!outcome.ok) {
    return {
      ...empty,
      status: 'rejected',
      reason: outcome.rejection.reason,
      message: outcome.rejection.message,
      inputType: outcome.inputType ?? null,
    };
  }
  if (outcome.pages) {
    const pages: SanitizedPage[] = [];
    for (const [index, page] of outcome.pages.entries()) {
      const pagePath = join(outDir, outputName(file, page.outputType, taken, index + 1));
      await writeFile(pagePath, page.bytes);
      pages.push({ outputPath: pagePath, width: page.width, height: page.height });
    }
    return {
      ...empty,
      status: 'ok',
      inputType: outcome.inputType,
      outputType: outcome.outputType,
      outputPath: pages[0]?.outputPath ?? null,
      sha256: outcome.sha256,
      bytes: outcome.bytes.length,
      width: outcome.width ?? null,
      height: outcome.height ?? null,
      removed: outcome.removed,
      imageTokens: outcome.imageTokens ?? null,
      pages,
    };
  }
  const outputPath = join(outDir, outputName(file, outcome.outputType, taken));
  await writeFile(outputPath, outcome.bytes);
  return {
    ...empty,
    status: 'ok',
    inputType: outcome.inputType,
    outputType: outcome.outputType,
    outputPath,
    sha256: outcome.sha256,
    bytes: outcome.bytes.length,
    width: outcome.width ?? null,
    height: outcome.height ?? null,
    durationSec: outcome.durationSec ?? null,
    removed: outcome.removed,
    imageTokens: outcome.imageTokens ?? null,
  };
}

export async function runSanitizeCommand(
  argv: string[],
  io: SanitizeIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`${error.message ? `mediagate sanitize: ${error.message}\n` : ''}${USAGE}\n`);
    return error.message ? 1 : 0;
  }
  const outDir = resolve(args.out);
  try {
    await mkdir(outDir, { recursive: true });
  } catch (error) {
    io.stderr.write(`mediagate sanitize: cannot create ${args.out}: ${(error as Error).message}\n`);
    return 1;
  }
  const showProgress = Boolean(io.stderr.isTTY) && args.files.length > 1;
  const taken = new Set<string>();
  const reports: SanitizeReport[] = [];
  for (const [index, file] of args.files.entries()) {
    if (showProgress) progress(io, index, args.files.length, file);
    let report: SanitizeReport;
    try {
      report = await sanitizeFile(file, outDir, taken, {
        ...args.options,
        declaredType: declaredTypeFor(file, args.type),
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
        if (showProgress) io.stderr.write('\r\x1b[2K');
        io.stderr.write(`mediagate sanitize: cannot read ${file} (${code})\n`);
        return 1;
      }
      throw error;
    }
    reports.push(report);
    if (!args.json) io.stdout.write(humanLine(report));
  }
  if (showProgress) {
    progress(io, args.files.length, args.files.length, 'done');
    io.stderr.write('\n');
  }
  if (args.json) io.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
  return reports.every((report) => report.status === 'ok') ? 0 : 2;
}
