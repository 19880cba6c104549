import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { sanitizeAndNormalize } from '../../../functions/media/one-pass.js';
import { validateAndStrip } from '../../../functions/media/sanitize.js';
import {
  DOCUMENT_FIXTURES,
  DOCUMENTS_DIR,
  EMBEDDED_MARKER,
  METADATA_MARKER,
  SCRIPT_MARKER,
  writeDocumentFixtures,
} from '../../../scripts/make-documents.js';
import { iphoneHeic, UPRIGHT_MARKER } from '../../../scripts/make-heic.js';
import { EXTENSION_FOR_MIME, exiftoolRead, metadataLeaks } from '../../fixtures/exiftool.js';

type Outcome = Awaited<ReturnType<typeof validateAndStrip>>;
type Accepted = Extract<Outcome, { ok: true }>;

const REPO = resolve(import.meta.dirname, '..', '..', '..');
const fixtures: Record<string, Buffer> = {};

async function accepted(input: Buffer, declaredType?: string): Promise<Accepted> {
  const outcome = await validateAndStrip(input, { declaredType });
  if (!outcome.ok)
    throw new Error(`expected acceptance, got ${outcome.rejection.reason}: ${outcome.rejection.message}`);
  return outcome;
}

/** Every image the step hands on: each page of a document, or the one image. */
function outputsOf(outcome: Accepted): { bytes: Buffer; mime: string }[] {
  return outcome.pages
    ? outcome.pages.map((p) => ({ bytes: p.bytes, mime: p.mime }))
    : [{ bytes: outcome.bytes, mime: outcome.outputType }];
}

beforeAll(async () => {
  for (const [name, make] of Object.entries(DOCUMENT_FIXTURES)) fixtures[name] = await make();
  fixtures['iphone.heic'] = iphoneHeic();
});

describe('PDF and HEIC in, JPEG/PNG out', () => {
  it('the fixtures really carry what they claim (exiftool reads it)', () => {
    const pdfTags = exiftoolRead(fixtures['text-with-metadata.pdf'] as Buffer, 'pdf');
    expect(JSON.stringify(pdfTags)).toContain(METADATA_MARKER);
    const heicTags = exiftoolRead(fixtures['iphone.heic'] as Buffer, 'heic');
    expect(heicTags['GPS:GPSLatitude']).toBeDefined();
    expect(heicTags['ExifIFD:SerialNumber']).toBe('SN-4471-0099');
    expect(heicTags['QuickTime:Rotation']).toBeDefined();
    const hostile = (fixtures['script-and-attachment.pdf'] as Buffer).toString('latin1');
    expect(hostile).toContain(SCRIPT_MARKER);
  });

  for (const name of [
    'text-with-metadata.pdf',
    'scanned.pdf',
    'script-and-attachment.pdf',
    'claim-form-2-pages.pdf',
    'iphone.heic',
  ]) {
    it(`${name}: only JPEG/PNG leave, exiftool finds nothing identifying, no marker byte survives`, async () => {
      // Act
      const outcome = await accepted(fixtures[name] as Buffer);
      // Assess
      for (const output of outputsOf(outcome)) {
        expect(['image/jpeg', 'image/png']).toContain(output.mime);
        const sniffed = await sharp(output.bytes).metadata();
        expect(['jpeg', 'png']).toContain(sniffed.format);
        expect(metadataLeaks(output.bytes, EXTENSION_FOR_MIME[output.mime] ?? 'bin')).toEqual([]);
        const text = output.bytes.toString('latin1');
        for (const marker of [
          SCRIPT_MARKER,
          EMBEDDED_MARKER,
          METADATA_MARKER,
          'Jane Example',
          'SN-4471',
          'payload.txt',
          '%PDF',
        ])
          expect(text).not.toContain(marker);
      }
    });
  }

  it('renders one image per page at the token-aware size and keeps each page text layer for DLP', async () => {
    // Act
    const claim = await accepted(fixtures['claim-form-2-pages.pdf'] as Buffer, 'application/pdf');
    const text = await accepted(fixtures['text-with-metadata.pdf'] as Buffer);
    // Assess: a US Letter page at 150 dpi is 1275×1650; the plan keeps ≤ 1024 px and buys no sliver tile.
    expect(claim.pages).toHaveLength(2);
    for (const page of claim.pages ?? []) {
      expect(Math.max(page.width, page.height)).toBeLessThanOrEqual(1024);
      expect(page.text).toBe('');
    }
    expect(text.pages?.[0]?.text).toContain('536-22-4417');
    expect(text.removed).toEqual(expect.arrayContaining(['PDF:Info', 'XMP']));
  });

  it('names what a hostile PDF carried (never its content) and paints neither its annotation nor its script', async () => {
    const outcome = await accepted(fixtures['script-and-attachment.pdf'] as Buffer);
    expect(outcome.removed).toEqual(
      expect.arrayContaining([
        'PDF:OpenAction',
        'PDF:JavaScript',
        'PDF:EmbeddedFile',
        'PDF:Annotations',
        'PDF:AdditionalActions',
      ]),
    );
    expect(outcome.removed.join(' ')).not.toContain(SCRIPT_MARKER);
  });

  it('decodes an iPhone HEIC upright (irot applied) to a JPEG, dropping the Exif item', async () => {
    // Act
    const outcome = await accepted(fixtures['iphone.heic'] as Buffer, 'image/heic');
    // Assess
    expect(outcome.outputType).toBe('image/jpeg');
    expect(outcome.inputType).toBe('image/heic');
    expect(outcome.removed).toContain('EXIF');
    expect([outcome.width, outcome.height]).toEqual([UPRIGHT_MARKER.width, UPRIGHT_MARKER.height]);
    const { data } = await sharp(outcome.bytes)
      .extract({ left: 10, top: 10, width: 1, height: 1 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(180); // red corner: top-left as displayed, not as stored
    expect(data[2]).toBeLessThan(80);
  });

  it('the one-pass path (CLI) gives every page its own model-ready image and counts every page’s tokens', async () => {
    const outcome = await sanitizeAndNormalize(fixtures['claim-form-2-pages.pdf'] as Buffer);
    if (!outcome.ok) throw new Error(outcome.rejection.reason);
    expect(outcome.pages).toHaveLength(2);
    const perPage = (outcome.pages ?? []).reduce((sum, p) => sum + p.imageTokens.after, 0);
    expect(outcome.imageTokens?.after).toBe(perPage);
    expect(perPage).toBeGreaterThan(0);
  });
});

describe('bad documents are rejected with reason codes', () => {
  const cases: [string, string, string | undefined][] = [
    ['encrypted.pdf', 'ENCRYPTED', undefined],
    ['owner-password.pdf', 'ENCRYPTED', undefined],
    ['truncated.pdf', 'CORRUPT', undefined],
    ['page-bomb.pdf', 'LIMIT_EXCEEDED', undefined],
    ['page-size-bomb.pdf', 'LIMIT_EXCEEDED', undefined],
    ['pdf-named.jpg', 'TYPE_MISMATCH', 'image/jpeg'],
  ];
  for (const [name, reason, declaredType] of cases) {
    it(`${name} → ${reason}`, async () => {
      const outcome = await validateAndStrip(fixtures[name] as Buffer, { declaredType });
      expect(outcome.ok ? 'accepted' : outcome.rejection.reason).toBe(reason);
    });
  }

  it('a truncated HEIC → CORRUPT', async () => {
    const heic = fixtures['iphone.heic'] as Buffer;
    for (const keep of [0.5, 0.9]) {
      const outcome = await validateAndStrip(heic.subarray(0, Math.floor(heic.length * keep)), {
        declaredType: 'image/heic',
      });
      expect(outcome.ok ? 'accepted' : outcome.rejection.reason).toBe('CORRUPT');
    }
  });

  it('checks page count and page size before rendering, with the limits a deployment sets', async () => {
    const twoPages = fixtures['claim-form-2-pages.pdf'] as Buffer;
    const outcome = await validateAndStrip(twoPages, { limits: { maxPages: 1 } });
    expect(outcome.ok ? 'accepted' : outcome.rejection.reason).toBe('LIMIT_EXCEEDED');
    const small = await validateAndStrip(twoPages, { limits: { maxPagePoints: 600 } });
    expect(small.ok ? 'accepted' : small.rejection.message).toMatch(/pt per side/);
  });

  it('keeps peak RSS under 512 MB on every bad and good document, measured in a child process', async () => {
    // Prepare: the fixtures on disk, and a child that sanitises each and reports its own peak RSS.
    await writeDocumentFixtures(DOCUMENTS_DIR);
    // Outside the repository, so the type-check does not pick the generated script up.
    const dir = mkdtempSync(join(tmpdir(), 'mediagate-rss-'));
    const heic = iphoneHeic();
    writeFileSync(join(dir, 'truncated.heic'), heic.subarray(0, Math.floor(heic.length * 0.9)));
    writeFileSync(join(dir, 'iphone.heic'), heic);
    const script = join(dir, 'measure.mts');
    writeFileSync(
      script,
      `import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateAndStrip } from ${JSON.stringify(join(REPO, 'functions/media/sanitize.ts'))};
const reasons: Record<string, string> = {};
for (const dir of ${JSON.stringify([DOCUMENTS_DIR, dir])}) {
  for (const name of readdirSync(dir).filter((n) => !n.endsWith('.ts'))) {
    const outcome = await validateAndStrip(readFileSync(join(dir, name)));
    reasons[name] = outcome.ok ? 'ok' : outcome.rejection.reason;
  }
}
process.stdout.write(JSON.stringify({ reasons, maxRssKib: process.resourceUsage().maxRSS }));
`,
    );
    // Act
    const out = execFileSync(join(REPO, 'node_modules/.bin/tsx'), [script], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 120_000,
    });
    // Assess
    const { reasons, maxRssKib } = JSON.parse(out) as { reasons: Record<string, string>; maxRssKib: number };
    expect(reasons).toMatchObject({
      'encrypted.pdf': 'ENCRYPTED',
      'truncated.pdf': 'CORRUPT',
      'page-bomb.pdf': 'LIMIT_EXCEEDED',
      'page-size-bomb.pdf': 'LIMIT_EXCEEDED',
      'truncated.heic': 'CORRUPT',
      'claim-form-2-pages.pdf': 'ok',
      'iphone.heic': 'ok',
    });
    expect(maxRssKib * 1024).toBeLessThan(512 * 1024 * 1024);
  });
});
