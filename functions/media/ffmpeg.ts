/**
 * The one way this codebase runs ffmpeg: a resolved binary, no stdin unless we pipe it, a hard time
 * limit, and the exit status checked. Its stderr can echo tags from the file (titles, comments), so it is
 * kept on the error object for the caller to parse and is never put into messages or logs.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Where the Lambda layer puts the binary. */
export const LAYER_FFMPEG_PATH = '/opt/bin/ffmpeg';

/** `MEDIAGATE_FFMPEG_PATH`, else the Lambda layer's binary if present, else the @ffmpeg-installer binary. */
export function ffmpegPath(): string {
  const fromEnv = process.env.MEDIAGATE_FFMPEG_PATH;
  if (fromEnv) return fromEnv;
  if (existsSync(LAYER_FFMPEG_PATH)) return LAYER_FFMPEG_PATH;
  // Resolved lazily: in Lambda the npm package is not bundled and the layer path above wins.
  const require = createRequire(import.meta.url);
  const installer = require('@ffmpeg-installer/ffmpeg') as { path: string };
  return installer.path;
}

export class FfmpegError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly timedOut: boolean,
    /** Tail of ffmpeg's stderr: may contain user metadata, so for parsing only, never for logs. */
    readonly stderr: string,
    /** Killed because stdout passed `maxStdoutBytes`. */
    readonly overflowed = false,
  ) {
    super(message);
    this.name = 'FfmpegError';
  }
}

export interface FfmpegRun {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly exitCode: number | null;
}

const MAX_STDERR_CHARS = 64 * 1024;

/**
 * Runs ffmpeg and resolves with everything it produced, whatever the exit status (a probe with no output
 * file exits 1 by design). Rejects only if it cannot start or runs past `timeoutMs` (then it is killed).
 */
export function spawnFfmpeg(
  args: string[],
  options: { input?: Buffer; timeoutMs: number; binary?: string; maxStdoutBytes?: number },
): Promise<FfmpegRun> {
  const binary = options.binary ?? ffmpegPath();
  const fullArgs = ['-nostdin', '-hide_banner', ...args];
  // -nostdin stops ffmpeg reading commands from stdin; data still flows through pipe:0 when we give it.
  return new Promise((resolve, reject) => {
    const child = spawn(binary, fullArgs, { stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    let stdoutBytes = 0;
    let overflowed = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      // An output bigger than any legitimate result is a bomb in progress: stop it, do not buffer it.
      if (options.maxStdoutBytes !== undefined && stdoutBytes > options.maxStdoutBytes) {
        if (!overflowed) child.kill('SIGKILL');
        overflowed = true;
        return;
      }
      chunks.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (stderr.length > MAX_STDERR_CHARS * 2) stderr = stderr.slice(-MAX_STDERR_CHARS);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new FfmpegError(`ffmpeg could not start: ${error.message}`, null, false, ''));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new FfmpegError(`ffmpeg ran past ${options.timeoutMs} ms and was killed`, code, true, stderr));
        return;
      }
      if (overflowed) {
        reject(
          new FfmpegError(`ffmpeg output passed ${options.maxStdoutBytes} bytes`, code, false, stderr, true),
        );
        return;
      }
      resolve({ stdout: Buffer.concat(chunks), stderr, exitCode: code });
    });
    if (options.input && child.stdin) {
      // ffmpeg may stop reading early (bad input); EPIPE then is expected and the exit status tells the story.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });
}

/** Runs ffmpeg, returns its stdout; a non-zero exit or a timeout throws `FfmpegError`. */
export async function runFfmpeg(
  args: string[],
  options: { input?: Buffer; timeoutMs: number },
): Promise<Buffer> {
  const run = await spawnFfmpeg(args, options);
  if (run.exitCode !== 0) {
    throw new FfmpegError(`ffmpeg exited with status ${run.exitCode}`, run.exitCode, false, run.stderr);
  }
  return run.stdout;
}
