/**
 * Scanned-looking claim forms that are hard for OCR: a 1700×1100 page (about 200 dpi for a letter-size
 * sheet) with an SSN, a card number, a date of birth, an e-mail address and a phone number, printed on
 * paper that is noisy, coloured, tilted, faint, JPEG-compressed or scaled down to the 1024 px copy the
 * pipeline OCRs. Each variant is one condition a real scan has, and some combine several. The values are
 * synthetic and reproducible from the seed.
 *
 * Tests and `scripts/dlp-eval.ts --noisy` call `makeNoisyForms()`; `npx tsx scripts/make-noisy-forms.ts
 * [DIR]` writes the images and `noisy-forms.json` (default test/fixtures/generated/noisy-forms).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import type { PiiEntityType } from '../functions/ports.js';
import { useFixtureFonts } from './fixture-fonts.js';
import {
  cardDigits,
  dob,
  email,
  escapeXml,
  type FormFixture,
  formatCard,
  Gen,
  name,
  phone,
  ssn,
} from './make-dlp-fixtures.js';

// Before any text is drawn: fontconfig reads its configuration once per process.
useFixtureFonts();

/** One condition of a bad scan; a variant combines one or more. */
export type ScanCondition = 'noisy' | 'coloured' | 'skewed' | 'low-contrast' | 'jpeg' | 'downscaled';

export interface NoisyFormFixture extends FormFixture {
  readonly conditions: readonly ScanCondition[];
}

/** Every condition alone, then the combinations the issue reports (colour and noise with skew, JPEG, 1024 px). */
export const NOISY_VARIANTS: readonly (readonly ScanCondition[])[] = [
  ['noisy'],
  ['coloured'],
  ['noisy', 'skewed'],
  ['noisy', 'low-contrast'],
  ['noisy', 'jpeg'],
  ['noisy', 'downscaled'],
  ['coloured', 'skewed', 'jpeg'],
  ['coloured', 'downscaled'],
  ['coloured', 'low-contrast', 'downscaled'],
  ['noisy', 'skewed', 'low-contrast', 'jpeg', 'downscaled'],
];

const PAGE_WIDTH = 1700;
const PAGE_HEIGHT = 1100;
/** The longest side of the copy Preprocess hands to DlpCheck. */
const PIPELINE_SIDE = 1024;
const FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono'];
const PAPER_COLOURS = ['#f3e9c6', '#dcebf5', '#f5dde4', '#e3f1dc', '#efe3f7'];

interface Line {
  readonly label: string;
  readonly value: string;
  readonly type?: PiiEntityType;
}

function formLines(g: Gen): Line[] {
  return [
    { label: g.pick(['Claimant', 'Policyholder', 'Patient']), value: name(g), type: 'NAME' },
    { label: g.pick(['SSN', 'Social Security Number']), value: ssn(g), type: 'SSN' },
    {
      label: g.pick(['Card number', 'Credit card']),
      value: formatCard(g, cardDigits(g)),
      type: 'CREDIT_DEBIT_NUMBER',
    },
    { label: g.pick(['Date of birth', 'DOB']), value: dob(g), type: 'DATE_OF_BIRTH' },
    { label: 'Email', value: email(g), type: 'EMAIL' },
    { label: g.pick(['Phone', 'Mobile']), value: phone(g), type: 'PHONE' },
    // A near miss on the page: a number that is no PII and must stay legible.
    { label: 'Claim reference', value: `${g.int(1, 9)}${g.digits(7)}` },
  ];
}

function pageSvg(g: Gen, lines: readonly Line[], conditions: readonly ScanCondition[]): string {
  const font = g.pick(FONTS);
  const size = g.int(26, 32);
  const lowContrast = conditions.includes('low-contrast');
  const coloured = conditions.includes('coloured');
  const paper = coloured ? g.pick(PAPER_COLOURS) : '#fbfbf8';
  const ink = lowContrast ? (coloured ? '#7c7468' : '#8c8c8c') : g.pick(['#111111', '#1a2140', '#262626']);
  // Coloured paper has stains and printed tint boxes behind the fields, as bank and insurer forms do.
  const stains = coloured
    ? Array.from(
        { length: 14 },
        () =>
          `<circle cx="${g.int(0, PAGE_WIDTH)}" cy="${g.int(0, PAGE_HEIGHT)}" r="${g.int(40, 220)}" fill="${g.pick(PAPER_COLOURS)}" opacity="0.7"/>`,
      ).join('')
    : '';
  const lineHeight = Math.round(size * 2.1);
  const rows = lines
    .map((l, i) => {
      const y = 240 + i * lineHeight;
      const tint = coloured
        ? `<rect x="560" y="${y - size - 8}" width="1000" height="${size + 22}" fill="${g.pick(PAPER_COLOURS)}" stroke="#b8a" stroke-width="1"/>`
        : '';
      return `${tint}<text x="140" y="${y}" font-family="${font}" font-size="${size}" fill="${ink}">${escapeXml(l.label)}:</text><text x="580" y="${y}" font-family="${font}" font-size="${size}" fill="${ink}">${escapeXml(l.value)}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${PAGE_WIDTH}" height="${PAGE_HEIGHT}"><rect width="100%" height="100%" fill="${paper}"/>${stains}<text x="140" y="130" font-family="${font}" font-size="${size + 14}" font-weight="bold" fill="${ink}">${escapeXml(g.pick(['Insurance Claim Form', 'Patient Intake', 'Refund Request']))}</text><line x1="140" y1="160" x2="1560" y2="160" stroke="#777" stroke-width="2"/>${rows}<rect x="90" y="60" width="1520" height="980" fill="none" stroke="#888" stroke-width="2"/></svg>`;
}

/** Scanner noise: every pixel jittered, plus dark and light specks (dust, paper fibres). */
async function addNoise(g: Gen, image: Buffer, amplitude: number, speckRate: number): Promise<Buffer> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let i = 0; i < data.length; i += info.channels) {
    const speck = g.int(0, 9999) < speckRate * 10000;
    const shade = speck ? (g.int(0, 1) === 0 ? -140 : 90) : 0;
    for (let c = 0; c < info.channels; c++) {
      const jitter = g.int(-amplitude, amplitude);
      data[i + c] = Math.max(0, Math.min(255, (data[i + c] ?? 0) + jitter + shade));
    }
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .png()
    .toBuffer();
}

async function renderNoisyForm(
  g: Gen,
  lines: readonly Line[],
  conditions: readonly ScanCondition[],
): Promise<{ bytes: Buffer; mime: string; ext: string }> {
  const paper = conditions.includes('coloured') ? '#e8dcc0' : '#fbfbf8';
  let raster: Buffer = await sharp(Buffer.from(pageSvg(g, lines, conditions)))
    .png()
    .toBuffer();
  if (conditions.includes('skewed')) {
    const degrees = g.pick([-1, 1]) * (2 + g.int(0, 20) / 10);
    raster = await sharp(raster).rotate(degrees, { background: paper }).png().toBuffer();
  }
  const coloured = conditions.includes('coloured');
  raster = await addNoise(g, raster, coloured ? 40 : 18, coloured ? 0.004 : 0.001);
  // A scanner's optics soften the print a little; the noise is then part of the image, as on paper.
  raster = await sharp(raster).blur(0.6).png().toBuffer();
  if (conditions.includes('downscaled'))
    raster = await sharp(raster)
      .resize({ width: PIPELINE_SIDE, height: PIPELINE_SIDE, fit: 'inside' })
      .png()
      .toBuffer();
  if (conditions.includes('jpeg'))
    return {
      bytes: await sharp(raster)
        .jpeg({ quality: g.int(35, 50) })
        .toBuffer(),
      mime: 'image/jpeg',
      ext: 'jpg',
    };
  return { bytes: raster, mime: 'image/png', ext: 'png' };
}

/** One form per variant in `NOISY_VARIANTS`, `rounds` times over with other values. */
export async function makeNoisyForms(seed = 20261207, rounds = 1): Promise<NoisyFormFixture[]> {
  const g = new Gen(seed);
  const forms: NoisyFormFixture[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [i, conditions] of NOISY_VARIANTS.entries()) {
      const lines = formLines(g);
      const rendered = await renderNoisyForm(g, lines, conditions);
      const id = `noisy-${round * NOISY_VARIANTS.length + i}-${conditions.join('+')}`;
      forms.push({
        id,
        file: `${id}.${rendered.ext}`,
        mime: rendered.mime,
        bytes: rendered.bytes,
        conditions,
        entities: lines.flatMap((l) => (l.type ? [{ type: l.type, value: l.value }] : [])),
      });
    }
  }
  return forms;
}

export const NOISY_FORM_DIR = resolve(
  import.meta.dirname,
  '..',
  'test',
  'fixtures',
  'generated',
  'noisy-forms',
);

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const dir = resolve(process.argv[2] ?? NOISY_FORM_DIR);
  mkdirSync(dir, { recursive: true });
  const forms = await makeNoisyForms();
  for (const f of forms) writeFileSync(join(dir, f.file), f.bytes);
  const index = forms.map(({ bytes: _bytes, ...rest }) => rest);
  writeFileSync(join(dir, 'noisy-forms.json'), `${JSON.stringify(index, null, 2)}\n`);
  console.log(`wrote ${forms.length} noisy forms to ${dir}`);
}
