import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INPUT_GUARD_ARGS } from '../../../functions/media/audio.js';
import { spawnFfmpeg } from '../../../functions/media/ffmpeg.js';
import { sanitizeAndNormalize } from '../../../functions/media/one-pass.js';
import { validateAndStrip } from '../../../functions/media/sanitize.js';
import {
  concatPlaylist,
  hlsPlaylist,
  toneWav,
  wavCarryingPlaylists,
} from '../../../scripts/make-fixtures.js';
import { FFMPEG_BINARIES, useFfmpeg } from '../../fixtures/ffmpeg-binaries.js';

describe.each(FFMPEG_BINARIES)('ffmpeg inputs name no other input, with $name', (binary) => {
  let server: Server;
  const requests: string[] = [];
  let dir: string;
  let urls: string[];

  beforeAll(async () => {
    const restoreFfmpeg = useFfmpeg(binary);
    // A server that only counts: any request at all means a playlist reached out.
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    dir = mkdtempSync(join(tmpdir(), 'mediagate-playlists-'));
    const secret = join(dir, 'secret.wav');
    writeFileSync(secret, toneWav(1));
    urls = [`http://127.0.0.1:${port}/segment.wav`, secret];
    return restoreFfmpeg;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  /** The concat demuxer over a list of `entries`, with our input guard (or another whitelist). */
  async function concatRun(entries: string[], whitelist: readonly string[] = INPUT_GUARD_ARGS) {
    const list = join(dir, `list-${Math.random().toString(36).slice(2)}.ffconcat`);
    writeFileSync(list, concatPlaylist(entries));
    // `-safe 0` turns off the concat demuxer's own path check, so only the whitelist stands in the way.
    return spawnFfmpeg(
      [
        '-v',
        'error',
        '-f',
        'concat',
        '-safe',
        '0',
        ...whitelist,
        '-i',
        `file:${list}`,
        '-f',
        'wav',
        'pipe:1',
      ],
      { timeoutMs: 10_000, input: toneWav(1) },
    );
  }

  it('whitelists only the file protocol for inputs: every input is a temp file', () => {
    expect(INPUT_GUARD_ARGS).toEqual(['-protocol_whitelist', 'file']);
  });

  it('refuses a nested http URL or stdin even if a concat list were opened, and fetches nothing', async () => {
    // Act
    const http = await concatRun([urls[0] as string]);
    const stdin = await concatRun(['pipe:0']);
    // Assess
    for (const run of [http, stdin]) {
      expect(run.exitCode).not.toBe(0);
      expect(run.stdout.length).toBe(0);
      expect(run.stderr).toMatch(/not on whitelist 'file'/);
    }
    expect(requests).toEqual([]);
  });

  it('would have read stdin under the old file,pipe whitelist (so the test above can see a read)', async () => {
    // Act
    const run = await concatRun(['pipe:0'], ['-protocol_whitelist', 'file,pipe']);
    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.stdout.subarray(0, 4).toString('latin1')).toBe('RIFF');
  });

  it('rejects HLS and concat playlists uploaded as audio before ffmpeg sees them', async () => {
    for (const [playlist, declaredType] of [
      [hlsPlaylist(urls), 'application/vnd.apple.mpegurl'],
      [concatPlaylist(urls), 'audio/x-mpegurl'],
    ] as const) {
      for (const run of [validateAndStrip, sanitizeAndNormalize]) {
        // Act
        const outcome = await run(playlist, { declaredType });
        // Assess
        expect(outcome.ok ? null : outcome.rejection.reason).toBe('UNSUPPORTED_TYPE');
      }
    }
    expect(requests).toEqual([]);
  });

  it('sanitises a WAV that carries both playlists as plain bytes, following neither', async () => {
    // Prepare
    const wav = wavCarryingPlaylists(urls);
    for (const run of [validateAndStrip, sanitizeAndNormalize]) {
      // Act
      const outcome = await run(wav, { declaredType: 'audio/wav' });
      // Assess: one second of tone in, about one second out (the 1 s secret file was not concatenated).
      if (!outcome.ok) throw new Error(`expected acceptance, got ${outcome.rejection.reason}`);
      expect(outcome.durationSec).toBeGreaterThan(0.9);
      expect(outcome.durationSec).toBeLessThan(1.1);
    }
    expect(requests).toEqual([]);
  });
});
