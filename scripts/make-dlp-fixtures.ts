/**
 * The DLP fixture set: text snippets with ground-truth spans and generated form images with the PII
 * they show, all synthetic and reproducible from a seed. Near misses (a card number one digit off the
 * Luhn check, an SSN in a range never issued, an IBAN with a wrong check, nine bare digits with no
 * label) are in the set as negatives, so precision means something.
 *
 * Tests and `scripts/dlp-eval.ts` call `makeDlpFixtures()`; `npx tsx scripts/make-dlp-fixtures.ts [DIR]`
 * writes them (default test/fixtures/generated/dlp, git-ignored) as `texts.json`, `forms.json` and PNG/JPEG
 * forms. Forms are SVG text rasterised by sharp (librsvg) in the DejaVu fonts of the npm package
 * dejavu-fonts-ttf (fixture-fonts.ts), not the machine's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import type { PiiEntityType } from '../functions/ports.js';
import { useFixtureFonts } from './fixture-fonts.js';
import { prng } from './seeded-random.js';

// Before any text is drawn: fontconfig reads its configuration once per process.
useFixtureFonts();

export interface LabelledSpan {
  readonly type: PiiEntityType;
  readonly start: number;
  readonly end: number;
}

export interface TextFixture {
  readonly id: string;
  readonly text: string;
  readonly spans: readonly LabelledSpan[];
}

export interface FormFixture {
  readonly id: string;
  readonly file: string;
  readonly mime: string;
  readonly bytes: Buffer;
  /** What the form shows; `value` is what OCR should read there. */
  readonly entities: readonly { readonly type: PiiEntityType; readonly value: string }[];
}

export interface DlpFixtures {
  readonly texts: readonly TextFixture[];
  readonly forms: readonly FormFixture[];
  /** Every PII value in the set, for tests that check nothing leaks into output. */
  readonly values: readonly string[];
}

/** Types whose recognizer has a checksum; the eval's bar (precision and recall ≥ 0.95) applies to them. */
export const CHECKSUM_TYPES: readonly PiiEntityType[] = ['CREDIT_DEBIT_NUMBER', 'IBAN', 'BANK_ROUTING'];

export class Gen {
  private readonly rand: () => number;
  constructor(seed: number) {
    this.rand = prng(seed);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.rand() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
  chars(n: number, alphabet: string): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }
}

// ---- Value generators (each also has a near-miss twin) ----

function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export function cardDigits(g: Gen): string {
  const network = g.pick(['visa', 'mc', 'mc2', 'amex', 'discover']);
  const prefix =
    {
      visa: '4',
      mc: `5${g.int(1, 5)}`,
      mc2: `22${g.int(21, 99)}`,
      amex: g.pick(['34', '37']),
      discover: '6011',
    }[network] ?? '4';
  const length = network === 'amex' ? 15 : 16;
  const body = prefix + g.digits(length - 1 - prefix.length);
  return body + luhnDigit(body);
}

export function formatCard(g: Gen, digits: string): string {
  const style = g.int(0, 2);
  if (style === 0) return digits;
  const sep = style === 1 ? ' ' : '-';
  const groups = digits.length === 15 ? [4, 6, 5] : [4, 4, 4, 4];
  let at = 0;
  return groups
    .map((n) => {
      at += n;
      return digits.slice(at - n, at);
    })
    .join(sep);
}

function breakLuhn(digits: string): string {
  const last = Number(digits.at(-1));
  return digits.slice(0, -1) + String((last + 1 + (last % 3)) % 10);
}

export function ssn(g: Gen): string {
  let area = g.int(1, 899);
  if (area === 666) area = 667;
  return `${String(area).padStart(3, '0')}-${String(g.int(1, 99)).padStart(2, '0')}-${String(g.int(1, 9999)).padStart(4, '0')}`;
}

function invalidSsn(g: Gen): string {
  const kind = g.int(0, 3);
  const good = ssn(g);
  if (kind === 0) return `${g.pick(['000', '666', `9${g.digits(2)}`])}${good.slice(3)}`;
  if (kind === 1) return `${good.slice(0, 4)}00${good.slice(6)}`;
  if (kind === 2) return `${good.slice(0, 7)}0000`;
  return g.pick(['078-05-1120', '219-09-9999', '123-45-6789']);
}

const IBAN_SHAPES: Readonly<Record<string, string>> = {
  DE: 'n18',
  GB: 'a4n14',
  NL: 'a4n10',
  FR: 'n23',
  ES: 'n20',
  IT: 'a1n22',
  BE: 'n12',
  CH: 'n17',
};

function mod97(numeric: string): number {
  let r = 0;
  for (const d of numeric) r = (r * 10 + Number(d)) % 97;
  return r;
}

function ibanNumeric(s: string): string {
  return [...s].map((c) => (c >= 'A' ? String(c.charCodeAt(0) - 55) : c)).join('');
}

function iban(g: Gen): string {
  const country = g.pick(Object.keys(IBAN_SHAPES));
  let bban = '';
  for (const [, kind, n] of (IBAN_SHAPES[country] ?? 'n18').matchAll(/([an])(\d+)/g)) {
    bban += kind === 'a' ? g.chars(Number(n), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') : g.digits(Number(n));
  }
  const check = String(98 - mod97(ibanNumeric(`${bban}${country}00`))).padStart(2, '0');
  return `${country}${check}${bban}`;
}

function groupIban(g: Gen, compact: string): string {
  return g.int(0, 1) === 0 ? compact : (compact.match(/.{1,4}/g) ?? []).join(' ');
}

function breakIban(compact: string): string {
  const check = Number(compact.slice(2, 4));
  return `${compact.slice(0, 2)}${String(((check + 11) % 97) + 2).padStart(2, '0')}${compact.slice(4)}`;
}

function routing(g: Gen): string {
  const prefix = String(g.pick([g.int(1, 12), g.int(21, 32), g.int(61, 72), 80])).padStart(2, '0');
  const body = prefix + g.digits(6);
  const d = [...body].map(Number);
  const s =
    3 * ((d[0] ?? 0) + (d[3] ?? 0) + (d[6] ?? 0)) +
    7 * ((d[1] ?? 0) + (d[4] ?? 0) + (d[7] ?? 0)) +
    (d[2] ?? 0) +
    (d[5] ?? 0);
  return body + String((10 - (s % 10)) % 10);
}

function breakRouting(value: string): string {
  return value.slice(0, 8) + String((Number(value[8]) + 3) % 10);
}

const FIRST = [
  'James',
  'Maria',
  'Wei',
  'Aisha',
  'Robert',
  'Elena',
  'Tomasz',
  'Priya',
  'Daniel',
  'Fatima',
  'Lucas',
  'Grace',
];
const LAST = [
  'Okafor',
  'Lindqvist',
  'Hernandez',
  'Nakamura',
  'Kowalski',
  'Brennan',
  'Haddad',
  'Fischer',
  'Moreau',
  'Patel',
];
const STREETS = ['Maple', 'Cedar Hill', 'Harbor', 'Lincoln', 'Sunset', 'Willow Creek', 'Main', 'Oak'];
const SUFFIXES = ['Street', 'Avenue', 'Road', 'Lane', 'Drive', 'Blvd', 'Court'];
const CITIES = [
  ['Springfield', 'IL'],
  ['Portland', 'OR'],
  ['Austin', 'TX'],
  ['Columbus', 'OH'],
];
const AREA_CODES = ['212', '415', '617', '312', '206', '303', '404', '512', '713', '305'];

export const name = (g: Gen) => `${g.pick(FIRST)} ${g.pick(LAST)}`;
export const email = (g: Gen) =>
  `${g.pick(FIRST).toLowerCase()}.${g.pick(LAST).toLowerCase()}${g.int(1, 99)}@${g.pick(['example.com', 'mail.example.org', 'claims.example.net'])}`;
export const phone = (g: Gen) => {
  const area = g.pick(AREA_CODES);
  const exchange = `${g.int(2, 9)}${g.digits(2)}`;
  const line = g.digits(4);
  return g.pick([
    `(${area}) ${exchange}-${line}`,
    `${area}-${exchange}-${line}`,
    `+1 ${area} ${exchange} ${line}`,
    `${area}.${exchange}.${line}`,
  ]);
};
export const dob = (g: Gen) => {
  const y = g.int(1940, 2005);
  const m = g.int(1, 12);
  const d = g.int(1, 28);
  const pad = (n: number) => String(n).padStart(2, '0');
  return g.pick([
    `${pad(m)}/${pad(d)}/${y}`,
    `${y}-${pad(m)}-${pad(d)}`,
    `${['January', 'March', 'June', 'October'][m % 4]} ${d}, ${y}`,
  ]);
};
const ipv4 = (g: Gen) => `${g.int(11, 223)}.${g.int(0, 255)}.${g.int(0, 255)}.${g.int(1, 254)}`;
const ipv6 = (g: Gen) => `2001:db8:${g.chars(4, '0123456789abcdef')}::${g.chars(3, '123456789abcdef')}`;
const address = (g: Gen) => {
  const [city, state] = g.pick(CITIES);
  return `${g.int(10, 9999)} ${g.pick(STREETS)} ${g.pick(SUFFIXES)}, ${city}, ${state} ${g.digits(5)}`;
};
const awsKeyId = (g: Gen) => `${g.pick(['AKIA', 'ASIA'])}${g.chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;
const awsSecret = (g: Gen) => {
  const s = g.chars(37, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+');
  return `${s}a${g.pick(['Q', 'Z'])}${g.int(0, 9)}`;
};
const passport = (g: Gen) =>
  g.int(0, 1) === 0 ? `${g.int(1, 9)}${g.digits(8)}` : `${g.pick(['A', 'C', 'E'])}${g.digits(8)}`;
const driverId = (g: Gen) =>
  g.pick([
    `${g.pick(['D', 'S', 'B'])}${g.digits(7)}`,
    `${g.int(1, 9)}${g.digits(8)}`,
    `${g.pick(['F', 'W'])}${g.digits(3)}-${g.digits(3)}-${g.digits(2)}-${g.digits(3)}-${g.digits(1)}`,
  ]);

// ---- Text snippets ----

/** A template: literal text with `{TYPE}` holes filled by a generated value of that type. */
type Template = string;

const POSITIVE_TEMPLATES: Readonly<Record<string, readonly Template[]>> = {
  CREDIT_DEBIT_NUMBER: [
    'Please charge card {CREDIT_DEBIT_NUMBER} for the deductible.',
    'Refund to {CREDIT_DEBIT_NUMBER}, the one used at checkout.',
    'Payment method: Visa ending in the number {CREDIT_DEBIT_NUMBER}',
    'cc {CREDIT_DEBIT_NUMBER} exp 09/29',
    'I paid with {CREDIT_DEBIT_NUMBER} on the 4th and was charged twice.',
  ],
  SSN: [
    'SSN: {SSN}',
    'My social security number is {SSN}.',
    'Claimant SSN {SSN}, policy 77120.',
    'The applicant gave {SSN} as her SSN.',
  ],
  IBAN: [
    'Wire the payout to IBAN {IBAN} please.',
    'Account: {IBAN}',
    'Beneficiary bank account {IBAN} (EUR).',
    'Transfer {IBAN} reference 20931.',
  ],
  BANK_ROUTING: [
    'Routing number: {BANK_ROUTING}, account 000123987.',
    'ABA {BANK_ROUTING} for direct deposit.',
    'Use routing {BANK_ROUTING} for the refund.',
    'RTN {BANK_ROUTING}',
  ],
  EMAIL: ['Contact me at {EMAIL} after 5pm.', 'Email: {EMAIL}', 'cc {EMAIL} on the reply'],
  PHONE: ['Call me on {PHONE} tomorrow.', 'Phone: {PHONE}', 'Mobile {PHONE} (text only)'],
  IP_ADDRESS: ['Login came from {IP_ADDRESS} at noon.', 'Server IP: {IP_ADDRESS}'],
  DATE_OF_BIRTH: [
    'DOB: {DATE_OF_BIRTH}',
    'Date of birth {DATE_OF_BIRTH}.',
    'She was born {DATE_OF_BIRTH} in Ohio.',
  ],
  NAME: ['Claimant: {NAME}', 'Patient name: {NAME}', 'Dear Mr. {NAME}, thank you.', 'Policyholder: {NAME}'],
  ADDRESS: ['Mail it to {ADDRESS}.', 'Address: {ADDRESS}'],
  AWS_ACCESS_KEY: ['aws_access_key_id = {AWS_ACCESS_KEY}', 'the key {AWS_ACCESS_KEY} leaked in the log'],
  AWS_SECRET_KEY: ['aws_secret_access_key = {AWS_SECRET_KEY}', 'Secret access key: {AWS_SECRET_KEY}'],
  PASSPORT_NUMBER: ['Passport No: {PASSPORT_NUMBER}', 'passport number {PASSPORT_NUMBER}, issued 2019'],
  DRIVER_ID: ["Driver's license: {DRIVER_ID}", 'DL# {DRIVER_ID}'],
};

/** Snippets with no PII at all, or with near misses that must not be reported. */
function negativeSnippet(g: Gen): string {
  const choice = g.int(0, 11);
  switch (choice) {
    case 0:
      return `Card ${formatCard(g, breakLuhn(cardDigits(g)))} was declined.`;
    case 1:
      return `Order number ${g.int(1, 9)}${g.digits(15)} shipped today.`;
    case 2:
      return `SSN: ${invalidSsn(g)}`;
    case 3:
      return `Reference ${g.int(1, 9)}${g.digits(8)} for your claim.`;
    case 4:
      return `IBAN ${groupIban(g, breakIban(iban(g)))}`;
    case 5:
      return `Routing number ${breakRouting(routing(g))}`;
    case 6:
      return `Version ${g.int(1, 9)}.${g.int(0, 20)}.${g.int(0, 99)}.${g.int(0, 9)}.${g.int(0, 9)} was released at ${g.int(10, 23)}:${g.int(10, 59)}:${g.int(10, 59)}.`;
    case 7:
      return `Invoice dated ${g.int(1, 12)}/${g.int(1, 28)}/${g.int(1990, 2024)}, total $${g.int(10, 999)}.${g.digits(2)}.`;
    case 8:
      return `Tracking ${g.digits(4)} ${g.digits(4)} ${g.digits(4)} ${g.digits(4)} ${g.digits(2)}`;
    case 9:
      return `Policy ${g.chars(2, 'ABCDEFGHJKLMNPRSTUVWXYZ')}-${g.digits(6)}, claim ${g.digits(7)}.`;
    case 10:
      return `File name: report final ${g.int(1, 9)}; checksum ${g.chars(40, '0123456789abcdef')}`;
    default:
      return 'Please describe the damage shown in the photo and estimate the repair cost.';
  }
}

function valueFor(g: Gen, type: PiiEntityType): string {
  switch (type) {
    case 'CREDIT_DEBIT_NUMBER':
      return formatCard(g, cardDigits(g));
    case 'SSN':
      return ssn(g);
    case 'IBAN':
      return groupIban(g, iban(g));
    case 'BANK_ROUTING':
      return routing(g);
    case 'EMAIL':
      return email(g);
    case 'PHONE':
      return phone(g);
    case 'IP_ADDRESS':
      return g.int(0, 2) === 0 ? ipv6(g) : ipv4(g);
    case 'DATE_OF_BIRTH':
      return dob(g);
    case 'NAME':
      return name(g);
    case 'ADDRESS':
      return address(g);
    case 'AWS_ACCESS_KEY':
      return awsKeyId(g);
    case 'AWS_SECRET_KEY':
      return awsSecret(g);
    case 'PASSPORT_NUMBER':
      return passport(g);
    case 'DRIVER_ID':
      return driverId(g);
    default:
      throw new Error(`no generator for ${type}`);
  }
}

function fill(g: Gen, template: Template): { text: string; spans: LabelledSpan[] } {
  let text = '';
  const spans: LabelledSpan[] = [];
  let cursor = 0;
  for (const m of template.matchAll(/\{([A-Z_]+)\}/g)) {
    text += template.slice(cursor, m.index);
    const type = m[1] as PiiEntityType;
    const value = valueFor(g, type);
    // "Mr. {NAME}": a title is followed by a surname or full name alike; the label is the full value.
    spans.push({ type, start: text.length, end: text.length + value.length });
    text += value;
    cursor = m.index + m[0].length;
  }
  return { text: text + template.slice(cursor), spans };
}

export function makeTextFixtures(seed = 20261124, perType = 40, negatives = 200): TextFixture[] {
  const g = new Gen(seed);
  const out: TextFixture[] = [];
  for (const [type, templates] of Object.entries(POSITIVE_TEMPLATES)) {
    for (let i = 0; i < perType; i++) {
      // Two snippets joined make a paragraph with two findings; labels then sit near other values.
      const first = fill(g, g.pick(templates));
      if (i % 3 !== 0) {
        out.push({ id: `${type.toLowerCase()}-${i}`, ...first });
        continue;
      }
      const other = g.pick(Object.values(POSITIVE_TEMPLATES).flat());
      const second = fill(g, other);
      const offset = first.text.length + 1;
      out.push({
        id: `${type.toLowerCase()}-${i}`,
        text: `${first.text} ${second.text}`,
        spans: [
          ...first.spans,
          ...second.spans.map((s) => ({ ...s, start: s.start + offset, end: s.end + offset })),
        ],
      });
    }
  }
  for (let i = 0; i < negatives; i++) out.push({ id: `negative-${i}`, text: negativeSnippet(g), spans: [] });
  return out;
}

// ---- Form images ----

const FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

async function renderForm(
  g: Gen,
  title: string,
  lines: readonly string[],
): Promise<{ bytes: Buffer; mime: string; ext: string }> {
  const font = g.pick(FONTS);
  const size = g.int(22, 30);
  const lineHeight = Math.round(size * 2);
  const width = 1000;
  const height = 120 + lineHeight * lines.length;
  const background = g.pick(['#ffffff', '#fbfaf4', '#f4f6f8']);
  const rows = lines
    .map(
      (l, i) =>
        `<text x="50" y="${130 + i * lineHeight}" font-family="${font}" font-size="${size}" fill="#111">${escapeXml(l)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${background}"/><text x="50" y="60" font-family="${font}" font-size="${size + 6}" font-weight="bold">${escapeXml(title)}</text><line x1="50" y1="80" x2="950" y2="80" stroke="#999"/>${rows}</svg>`;
  // Photographed forms are not clean renders: some are blurred, tilted or scanned at a lower resolution.
  let raster = await sharp(Buffer.from(svg)).png().toBuffer();
  const degradation = g.pick(['clean', 'blur', 'tilt', 'small']);
  if (degradation === 'blur') raster = await sharp(raster).blur(0.8).toBuffer();
  if (degradation === 'tilt')
    raster = await sharp(raster)
      .rotate(g.pick([-1.5, 1.5]), { background })
      .toBuffer();
  if (degradation === 'small') raster = await sharp(raster).resize({ width: 800 }).toBuffer();
  if (g.int(0, 2) === 0)
    return { bytes: await sharp(raster).jpeg({ quality: 75 }).toBuffer(), mime: 'image/jpeg', ext: 'jpg' };
  return { bytes: raster, mime: 'image/png', ext: 'png' };
}

export async function makeFormFixtures(seed = 20261124, count = 48): Promise<FormFixture[]> {
  const g = new Gen(seed + 1);
  const forms: FormFixture[] = [];
  for (let i = 0; i < count; i++) {
    const entities: { type: PiiEntityType; value: string }[] = [];
    const lines: string[] = [];
    const add = (label: string, type: PiiEntityType, value: string) => {
      lines.push(`${label}: ${value}`);
      entities.push({ type, value });
    };
    add(g.pick(['Claimant', 'Name', 'Policyholder', 'Patient']), 'NAME', name(g));
    add(g.pick(['SSN', 'Social Security Number']), 'SSN', ssn(g));
    add(g.pick(['Card number', 'Credit card', 'Card']), 'CREDIT_DEBIT_NUMBER', formatCard(g, cardDigits(g)));
    if (i % 2 === 0) add('Date of birth', 'DATE_OF_BIRTH', dob(g));
    if (i % 3 === 0) add('Routing number', 'BANK_ROUTING', routing(g));
    if (i % 3 === 1) add('IBAN', 'IBAN', groupIban(g, iban(g)));
    if (i % 4 === 0) add('Email', 'EMAIL', email(g));
    // Near misses on the page: must not be reported.
    lines.push(`Claim reference: ${g.int(1, 9)}${g.digits(7)}`);
    if (i % 2 === 1) lines.push(`Previous card (void): ${formatCard(g, breakLuhn(cardDigits(g)))}`);
    const rendered = await renderForm(
      g,
      g.pick(['Insurance Claim Form', 'Patient Intake', 'Refund Request']),
      lines,
    );
    forms.push({
      id: `form-${i}`,
      file: `form-${i}.${rendered.ext}`,
      mime: rendered.mime,
      bytes: rendered.bytes,
      entities,
    });
  }
  return forms;
}

/** Every PII value a fixture holds (text spans and form entities). */
function valuesOf(texts: readonly TextFixture[], forms: readonly FormFixture[]): string[] {
  const values = new Set<string>();
  for (const t of texts) for (const s of t.spans) values.add(t.text.slice(s.start, s.end));
  for (const f of forms) for (const e of f.entities) values.add(e.value);
  return [...values];
}

export async function makeDlpFixtures(options: { seed?: number; forms?: number } = {}): Promise<DlpFixtures> {
  const texts = makeTextFixtures(options.seed);
  const forms = await makeFormFixtures(options.seed, options.forms);
  return { texts, forms, values: valuesOf(texts, forms) };
}

export const DLP_FIXTURE_DIR = resolve(import.meta.dirname, '..', 'test', 'fixtures', 'generated', 'dlp');

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const dir = resolve(process.argv[2] ?? DLP_FIXTURE_DIR);
  mkdirSync(dir, { recursive: true });
  const { texts, forms } = await makeDlpFixtures();
  writeFileSync(join(dir, 'texts.json'), `${JSON.stringify(texts, null, 2)}\n`);
  for (const f of forms) writeFileSync(join(dir, f.file), f.bytes);
  const index = forms.map(({ bytes: _bytes, ...rest }) => rest);
  writeFileSync(join(dir, 'forms.json'), `${JSON.stringify(index, null, 2)}\n`);
  console.log(`wrote ${texts.length} text fixtures and ${forms.length} forms to ${dir}`);
}
