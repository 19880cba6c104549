/**
 * The labelled DLP corpus (`test/fixtures/dlp-corpus.jsonl`, committed): one case a line, with its text,
 * the labelled spans and a `source` that says where the value or its format comes from (a published
 * test vector, a registry, an RFC, or a generator that follows a specification). Near-miss negatives
 * (version strings, order numbers, dates, failed checksums) have no spans.
 *
 *   npx tsx scripts/make-dlp-corpus.ts [FILE]
 *
 * Deterministic: the same code writes the same file, so a diff shows what a change of the generator did.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { countrySpecs } from 'ibantools';
import { getExampleNumber } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import type { PiiEntityType } from '../functions/ports.js';
import { prng } from './seeded-random.js';

export interface CorpusCase {
  readonly id: string;
  readonly text: string;
  readonly spans: readonly { readonly type: PiiEntityType; readonly start: number; readonly end: number }[];
  readonly source: string;
}

export const CORPUS_FILE = resolve(import.meta.dirname, '../test/fixtures/dlp-corpus.jsonl');

const rand = prng(13616);
const int = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1));
const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;
const digits = (n: number) => Array.from({ length: n }, () => String(int(0, 9))).join('');

const cases: CorpusCase[] = [];

/** Adds a case from a template whose `{}` holes are filled with the labelled values, in order. */
function add(
  source: string,
  template: string,
  values: readonly (readonly [PiiEntityType, string])[] = [],
): void {
  let text = '';
  const spans: { type: PiiEntityType; start: number; end: number }[] = [];
  const parts = template.split('{}');
  if (parts.length !== values.length + 1) throw new Error(`template and values differ: ${template}`);
  parts.forEach((part, i) => {
    text += part;
    const value = values[i];
    if (!value) return;
    spans.push({ type: value[0], start: text.length, end: text.length + value[1].length });
    text += value[1];
  });
  cases.push({ id: `c${String(cases.length + 1).padStart(4, '0')}`, text, spans, source });
}

// ---- Cards: published test numbers per network ----

function luhnValid(number: string): boolean {
  let sum = 0;
  [...number].reverse().forEach((ch, i) => {
    let d = Number(ch);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  });
  return sum % 10 === 0;
}

const STRIPE = 'Stripe test card numbers (docs.stripe.com/testing)';
const ADYEN = 'Adyen test card numbers (docs.adyen.com/development-resources/test-cards/test-card-numbers)';
const PAYPAL = 'PayPal sandbox test cards (developer.paypal.com/tools/sandbox/card-testing)';
const TEST_CARDS: readonly (readonly [string, string, readonly number[]])[] = [
  ['4242424242424242', STRIPE, [4, 4, 4, 4]],
  ['4000056655665556', STRIPE, [4, 4, 4, 4]],
  ['5555555555554444', STRIPE, [4, 4, 4, 4]],
  ['2223003122003222', STRIPE, [4, 4, 4, 4]],
  ['5200828282828210', STRIPE, [4, 4, 4, 4]],
  ['5105105105105100', STRIPE, [4, 4, 4, 4]],
  ['378282246310005', STRIPE, [4, 6, 5]],
  ['371449635398431', STRIPE, [4, 6, 5]],
  ['6011111111111117', STRIPE, [4, 4, 4, 4]],
  ['6011000990139424', STRIPE, [4, 4, 4, 4]],
  ['6011981111111113', STRIPE, [4, 4, 4, 4]],
  ['3056930009020004', STRIPE, [4, 4, 4, 4]],
  ['36227206271667', STRIPE, [4, 6, 4]],
  ['3566002020360505', STRIPE, [4, 4, 4, 4]],
  ['6200000000000005', STRIPE, [4, 4, 4, 4]],
  ['6205500000000000004', STRIPE, [4, 4, 4, 4, 3]],
  ['2222400070000005', ADYEN, [4, 4, 4, 4]],
  ['5577000055770004', ADYEN, [4, 4, 4, 4]],
  ['370000000000002', ADYEN, [4, 6, 5]],
  ['36006666333344', ADYEN, [4, 6, 4]],
  ['3569990010095841', ADYEN, [4, 4, 4, 4]],
  ['6771798021000008', ADYEN, [4, 4, 4, 4]],
  ['5019555544445555', ADYEN, [4, 4, 4, 4]],
  ['135410014004955', ADYEN, [4, 5, 6]],
  ['4111111145551142', ADYEN, [4, 4, 4, 4]],
  ['4035501000000008', ADYEN, [4, 4, 4, 4]],
  ['6062828888666688', ADYEN, [4, 4, 4, 4]],
  ['5066991111111118', ADYEN, [4, 4, 4, 4]],
  ['6243030000000001', ADYEN, [4, 4, 4, 4]],
  ['4111111111111111', PAYPAL, [4, 4, 4, 4]],
  ['4012888888881881', PAYPAL, [4, 4, 4, 4]],
  ['4222222222222', PAYPAL, [4, 4, 5]],
  ['30569309025904', PAYPAL, [4, 6, 4]],
  ['38520000023237', PAYPAL, [4, 6, 4]],
  ['3530111333300000', PAYPAL, [4, 4, 4, 4]],
  ['6759649826438453', PAYPAL, [4, 4, 4, 4]],
];

function group(value: string, sizes: readonly number[], sep: string): string {
  const out: string[] = [];
  let at = 0;
  for (const size of sizes) {
    out.push(value.slice(at, at + size));
    at += size;
  }
  return out.join(sep);
}

const CARD_TEMPLATES = [
  'Card number: {}',
  'Please charge {} for the repair.',
  'cc# {} exp 09/29',
  'Paid with card {}.',
  'PAN {} (customer copy)',
  'The refund goes back to {}',
];
for (const [number, source, layout] of TEST_CARDS) {
  if (!luhnValid(number)) throw new Error(`${number} fails Luhn`);
  add(source, pick(CARD_TEMPLATES), [['CREDIT_DEBIT_NUMBER', group(number, layout, ' ')]]);
  add(source, pick(CARD_TEMPLATES), [['CREDIT_DEBIT_NUMBER', number]]);
  add(source, pick(CARD_TEMPLATES), [['CREDIT_DEBIT_NUMBER', group(number, layout, '-')]]);
}
for (let i = 0; i + 1 < TEST_CARDS.length; i += 3) {
  const [a, source, la] = TEST_CARDS[i] ?? ['', '', []];
  const [b, , lb] = TEST_CARDS[i + 1] ?? ['', '', []];
  add(`${source}; two cards in a row, different groupings`, 'Cards on file: {} {}', [
    ['CREDIT_DEBIT_NUMBER', group(a, la, ' ')],
    ['CREDIT_DEBIT_NUMBER', group(b, lb, '-')],
  ]);
}
for (const [number, source, layout] of TEST_CARDS.slice(0, 16)) {
  const broken = number.slice(0, -1) + String((Number(number.at(-1)) + 5) % 10);
  add(
    `${source}, last digit changed: fails Luhn`,
    'Card {} was declined.'.replace('{}', group(broken, layout, ' ')),
  );
}

// ---- IBAN: every country of the ISO 13616 registry, check digits computed by ISO 7064 mod 97-10 ----

function mod97(value: string): number {
  let remainder = 0;
  for (const ch of value) {
    const v = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) remainder = (remainder * 10 + Number(d)) % 97;
  }
  return remainder;
}

function bbanFor(regexp: string): string | undefined {
  let out = '';
  for (const m of regexp.matchAll(/\[([^\]]+)\]\{(\d+)\}/g)) {
    const alphabet =
      m[1] === '0-9'
        ? '0123456789'
        : m[1] === 'A-Z'
          ? 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
          : '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    for (let i = 0; i < Number(m[2]); i++) out += alphabet[int(0, alphabet.length - 1)];
  }
  return out === '' ? undefined : out;
}

const REGISTRY =
  'SWIFT ISO 13616 IBAN registry structure (ibantools countrySpecs), check digits by ISO 7064 mod 97-10';
const IBAN_TEMPLATES = [
  'IBAN: {}',
  'Please wire the deposit to {} today.',
  'Account (IBAN) {} EUR',
  'Bank details: {} / BIC on file',
  'Transfer to {} EUR 250.00',
];
for (const [country, spec] of Object.entries(countrySpecs)) {
  if (!spec.chars || !spec.bban_regexp) continue;
  const bban = bbanFor(spec.bban_regexp);
  if (!bban || bban.length + 4 !== spec.chars) continue;
  const check = String(98 - mod97(`${bban}${country}00`)).padStart(2, '0');
  const iban = `${country}${check}${bban}`;
  const spaced = (iban.match(/.{1,4}/g) ?? []).join(' ');
  add(REGISTRY, pick(IBAN_TEMPLATES), [['IBAN', cases.length % 2 === 0 ? spaced : iban]]);
  if (cases.length % 3 === 0) {
    const wrong = `${country}${String(((Number(check) + 7) % 97) + 2).padStart(2, '0')}${bban}`;
    add(
      `${REGISTRY}; check digits changed: fails mod 97`,
      `IBAN ${(wrong.match(/.{1,4}/g) ?? []).join(' ')} rejected`,
    );
  }
}
for (const [iban, source] of [
  ['GB29 NWBK 6016 1331 9268 19', 'ECBS / ISO 13616-1 example IBAN (GB)'],
  ['DE89 3704 0044 0532 0130 00', 'ECBS example IBAN (DE), Deutsche Bundesbank'],
  ['FR14 2004 1010 0505 0001 3M02 606', 'ECBS example IBAN (FR)'],
  ['NL91 ABNA 0417 1643 00', 'ibantools README example (NL)'],
  ['CH44 3199 9123 0008 8901 2', 'ibantools README example (CH QR-IBAN)'],
] as const) {
  add(source, 'IBAN {} EUR', [['IBAN', iban]]);
  add(`${source}; followed by a currency code and a short word`, 'Send to {} EUR or USD', [['IBAN', iban]]);
}

// ---- Phone numbers: libphonenumber's example number per region (Google's metadata) ----

const PHONE_TEMPLATES = [
  'Call me on {}',
  'Tel: {}',
  'mobile {} (evenings)',
  'You can reach the claimant at {}.',
  'WhatsApp {}',
];
const regions = Object.keys(examples).sort();
for (const region of regions.filter((_, i) => i % 4 === 0)) {
  const number = getExampleNumber(region as never, examples as never);
  if (!number) continue;
  const source = `libphonenumber example mobile number for ${region} (examples.mobile.json), formatted by libphonenumber`;
  add(source, pick(PHONE_TEMPLATES), [['PHONE', number.formatInternational()]]);
  if (region.charCodeAt(1) % 2 === 0)
    add(`${source}, E.164`, pick(PHONE_TEMPLATES), [['PHONE', number.number]]);
}
const us = getExampleNumber('US', examples as never);
if (us) {
  const national = us.nationalNumber;
  const source = 'libphonenumber example number for US, NANP layouts';
  for (const layout of [
    us.formatNational(),
    `${national.slice(0, 3)}-${national.slice(3, 6)}-${national.slice(6)}`,
    `${national.slice(0, 3)}.${national.slice(3, 6)}.${national.slice(6)}`,
    `+1 ${national.slice(0, 3)} ${national.slice(3, 6)} ${national.slice(6)}`,
  ])
    add(source, pick(PHONE_TEMPLATES), [['PHONE', layout]]);
}
for (const [value, source] of [
  ['+33 1 23 45 67 89', 'single-digit area code group, French numbering plan (ARCEP)'],
  ['+44 20 7946 0958', 'Ofcom drama number range 020 7946 0xxx'],
  ['+61 2 9876 5432', 'Australian geographic number layout (ACMA)'],
  ['+49 30 12345678', 'German Berlin area code 30 (BNetzA)'],
  ['+81 3-1234-5678', 'Japanese Tokyo area code 3 (MIC)'],
] as const)
  add(source, pick(PHONE_TEMPLATES), [['PHONE', value]]);

// ---- SSN: SSA rules (areas 001-665, 667-899; group 01-99; serial 0001-9999) ----

function ssnDigits(): string {
  let area = int(1, 899);
  if (area === 666) area = 667;
  return `${String(area).padStart(3, '0')}${String(int(1, 99)).padStart(2, '0')}${String(int(1, 9999)).padStart(4, '0')}`;
}
const SSA = 'generated by SSA SSN rules (ssa.gov/employer/randomization.html)';
const SSN_TEMPLATES = [
  'SSN: {}',
  'Social Security Number {}',
  'ssn#{}',
  "The insured's SSN is {}.",
  'SS No. {}',
  'Soc. Sec. {}',
];
for (let i = 0; i < 36; i++) {
  const d = ssnDigits();
  const sep = ['-', ' ', '.', '-'][i % 4] ?? '-';
  const value = `${d.slice(0, 3)}${sep}${d.slice(3, 5)}${sep}${d.slice(5)}`;
  add(`${SSA}, separator "${sep}"`, i % 3 === 0 ? 'on file: {} (verified)' : pick(SSN_TEMPLATES), [
    ['SSN', value],
  ]);
}
for (let i = 0; i < 8; i++) add(`${SSA}, bare with context`, pick(SSN_TEMPLATES), [['SSN', ssnDigits()]]);
for (const area of ['000', '666', '900', '987']) {
  add(
    `SSA never issues area ${area}: negative`,
    `SSN: ${area}-${digits(2).replace('00', '12')}-${digits(4).replace('0000', '1234')}`,
  );
}
add('SSA: group 00 is never issued: negative', 'SSN 536-00-4418');
add('SSA: serial 0000 is never issued: negative', 'SSN 536-22-0000');

// ---- ABA routing numbers: prefix and checksum per the ABA Routing Number Policy ----

function routing(): string {
  const prefix = String(pick([int(1, 12), int(21, 32), int(61, 72), 80])).padStart(2, '0');
  const body = prefix + digits(6);
  const d = [...body].map(Number);
  const s =
    3 * ((d[0] ?? 0) + (d[3] ?? 0) + (d[6] ?? 0)) +
    7 * ((d[1] ?? 0) + (d[4] ?? 0) + (d[7] ?? 0)) +
    (d[2] ?? 0) +
    (d[5] ?? 0);
  return body + String((10 - (s % 10)) % 10);
}
const ABA = 'generated by the ABA checksum (3-7-1 weights) and Federal Reserve prefixes';
const ROUTING_TEMPLATES = [
  'Routing number: {}',
  'ABA {} for direct deposit',
  'RTN:{}',
  'routing# {}',
  'Direct deposit: bank {} account on file',
  'Wire via {} please',
  'ABA/Routing {}',
  'Transit number {}',
];
for (let i = 0; i < 30; i++) add(ABA, pick(ROUTING_TEMPLATES), [['BANK_ROUTING', routing()]]);
for (const [value, bank] of [
  ['021000021', 'JPMorgan Chase'],
  ['011000015', 'Federal Reserve Bank of Boston'],
  ['026009593', 'Bank of America'],
  ['121000248', 'Wells Fargo'],
] as const)
  add(`Federal Reserve E-Payments Routing Directory (${bank})`, 'Please use {} for the payment.', [
    ['BANK_ROUTING', value],
  ]);
for (let i = 0; i < 6; i++) {
  const r = routing();
  add(
    `${ABA}; last digit changed: fails the checksum`,
    `Routing number ${r.slice(0, 8)}${(Number(r[8]) + 3) % 10}`,
  );
}

// ---- IP addresses: RFC 5952 §4 and RFC 4291 §2.2 examples, RFC 5737 / RFC 3849 documentation ranges ----

const IP_CASES: readonly (readonly [string, string])[] = [
  ['2001:db8::1', 'RFC 5952 §4.2.2'],
  ['2001:db8:0:0:1:0:0:1', 'RFC 5952 §4'],
  ['2001:db8::1:0:0:1', 'RFC 5952 §4.2.3'],
  ['2001:db8:0:1:1:1:1:1', 'RFC 5952 §4.2.2'],
  ['2001:db8::aaaa:0:0:1', 'RFC 5952 §4.2.3'],
  ['2001:0db8:0000:0000:0001:0000:0000:0001', 'RFC 5952 §1'],
  ['2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa', 'RFC 5952 §4.3'],
  ['ABCD:EF01:2345:6789:ABCD:EF01:2345:6789', 'RFC 4291 §2.2'],
  ['2001:DB8:0:0:8:800:200C:417A', 'RFC 4291 §2.2'],
  ['2001:DB8::8:800:200C:417A', 'RFC 4291 §2.2'],
  ['FF01::101', 'RFC 4291 §2.2'],
  ['::1', 'RFC 4291 §2.5.3'],
  ['::13.1.68.3', 'RFC 4291 §2.2 (embedded IPv4)'],
  ['::FFFF:129.144.52.38', 'RFC 4291 §2.2 (IPv4-mapped)'],
  ['::ffff:192.0.2.128', 'RFC 5952 §5 (IPv4-mapped)'],
  ['64:ff9b::192.0.2.33', 'RFC 6052 §2.4'],
  ['fe80::1%eth0', 'RFC 4007 §11 zone index'],
  ['fe80::a:b:c:d%2', 'RFC 4007 §11 zone index'],
  ['192.0.2.1', 'RFC 5737 TEST-NET-1'],
  ['198.51.100.42', 'RFC 5737 TEST-NET-2'],
  ['203.0.113.254', 'RFC 5737 TEST-NET-3'],
  ['10.0.0.1', 'RFC 1918 private range'],
];
const IP_TEMPLATES = [
  'Login from IP {}',
  'host {} refused the connection',
  'client address {}, port 443',
  'Server: {}',
  'seen at [{}] yesterday',
];
for (const [value, source] of IP_CASES) add(source, pick(IP_TEMPLATES), [['IP_ADDRESS', value]]);

// ---- E-mail: RFC 5322 forms, IDN (RFC 6531, RFC 3492 punycode), IANA example domains (RFC 2606) ----

const EMAIL_CASES: readonly (readonly [string, string])[] = [
  ['jane.doe@example.com', 'RFC 2606 example domain'],
  ["o'brien+claims@example.org", 'RFC 5322 §3.2.3 atext (apostrophe, plus)'],
  ['user_42@mail.example.co.uk', 'RFC 5322 dot-atom, subdomains'],
  ['first.last@sub.example.net', 'RFC 5322 dot-atom'],
  ['user@xn--bcher-kva.example', 'RFC 3492 punycode (bücher) at an RFC 2606 domain'],
  ['info@xn--80ak6aa92e.xn--p1ai', 'RFC 3492 punycode under the Cyrillic TLD .рф (xn--p1ai)'],
  ['用户@例子.广告', 'RFC 6531 SMTPUTF8 example address (IETF EAI)'],
  ['δοκιμή@παράδειγμα.δοκιμή', 'IANA IDN test domain δοκιμή (RFC 6531 UTF-8 local part)'],
  ['测试@例子.测试', 'IANA IDN test domain 测试'],
  ['josé.garcía@bücher.example', 'RFC 6531 UTF-8 local part, RFC 5890 U-label'],
  ['claims-desk@example.travel', 'RFC 5322, long generic TLD'],
  ['a@b.io', 'RFC 5322 shortest practical form'],
];
const EMAIL_TEMPLATES = ['Email: {}', 'write to {} for the claim', 'contact {}.', 'Reply-To: {}'];
for (const [value, source] of EMAIL_CASES) {
  add(source, pick(EMAIL_TEMPLATES), [['EMAIL', value]]);
  add(source, pick(EMAIL_TEMPLATES), [['EMAIL', value]]);
}

// ---- Passports (US Department of State formats) and driver licences (AAMVA / NTSI formats per state) ----

const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';
const PASSPORT_CONTEXTS = [
  'Passport No. {}',
  'passportnumber {}',
  'PP# {}',
  'Passport: {}',
  'US passport {} issued 2019',
  'passport#{}',
  'Travel document {}',
];
for (let i = 0; i < 24; i++) {
  const value = i % 2 === 0 ? `${pick([...LETTERS])}${digits(8)}` : `${int(1, 9)}${digits(8)}`;
  add(
    'US Department of State passport formats (9 digits; letter + 8 digits since 2021)',
    pick(PASSPORT_CONTEXTS),
    [['PASSPORT_NUMBER', value]],
  );
}
const L = () => pick([...LETTERS]);
const DL_FORMATS: readonly (readonly [string, () => string])[] = [
  ['CA', () => `${L()}${digits(7)}`],
  ['FL', () => `${L()}${digits(3)}-${digits(3)}-${digits(2)}-${digits(3)}-${digits(1)}`],
  ['IL', () => `${L()}${digits(3)}-${digits(4)}-${digits(4)}`],
  ['WI', () => `${L()}${digits(3)}-${digits(4)}-${digits(4)}-${digits(2)}`],
  ['MI', () => `${L()} ${digits(3)} ${digits(3)} ${digits(3)} ${digits(3)}`],
  ['NJ', () => `${L()}${digits(4)} ${digits(5)} ${digits(5)}`],
  ['NY', () => `${digits(3)} ${digits(3)} ${digits(3)}`],
  ['TX', () => `${int(1, 4)}${digits(7)}`],
  ['PA', () => `${digits(2)} ${digits(3)} ${digits(3)}`],
  ['WA', () => `WDL${L()}${L()}${digits(3)}${L()}${digits(3)}`],
  ['NH', () => `${digits(2)}${L()}${L()}${L()}${digits(5)}`],
  ['IA', () => `${digits(3)}${L()}${L()}${digits(4)}`],
  ['ND', () => `${L()}${L()}${L()}${digits(6)}`],
  ['CO', () => `${digits(2)}-${digits(3)}-${digits(4)}`],
  ['KS', () => `K${digits(2)}-${digits(2)}-${digits(4)}`],
  ['VA', () => `${L()}${digits(2)}-${digits(2)}-${digits(4)}`],
  ['OH', () => `${L()}${L()}${digits(6)}`],
  ['MD', () => `${L()}-${digits(3)}-${digits(3)}-${digits(3)}-${digits(3)}`],
];
const DL_CONTEXTS = [
  "Driver's license: {}",
  'DL# {}',
  'lic. {}',
  'driverslicense {}',
  'Drivers Lic No {}',
  'DLN:{}',
  'driving licence {}, class C',
];
for (const [state, make] of DL_FORMATS) {
  for (let i = 0; i < 2; i++)
    add(`AAMVA/NTSI driver licence format, ${state}`, pick(DL_CONTEXTS), [['DRIVER_ID', make()]]);
}

// ---- Names: SSA top given names and Census 2010 surnames, and surnames outside any lexicon ----

const GIVEN = [
  'Liam',
  'Olivia',
  'Noah',
  'Emma',
  'Mateo',
  'Sofia',
  'Jordan',
  'Aaliyah',
  'Wei',
  'Fatima',
  'Hiroshi',
  'Priya',
  'Oluwaseun',
  'Aleksandr',
  'Siobhan',
  'Nguyen',
];
const SURNAMES = [
  'Smith',
  'Garcia',
  'Nguyen',
  'Rodriguez',
  'Kim',
  'Patel',
  'Okafor',
  'Kowalczyk',
  'Haddad',
  'Yamamoto',
];
const UNLISTED = ['Quillfeather', 'Brandtweiler', 'Okonkwo-Baptiste', 'Zhirinovskaya', 'Vantreese'];
const NAME_CONTEXTS = [
  'Customer {} called about the claim.',
  'Dear {},',
  'Patient: {}',
  'Claimant {} signed the form.',
  'Name: {}',
  'Mr. {} will attend',
];
for (let i = 0; i < 30; i++) {
  const surname = i % 3 === 0 ? pick(UNLISTED) : pick(SURNAMES);
  const source =
    i % 3 === 0
      ? 'SSA top given name + invented surname outside any lexicon'
      : "SSA top given names, US Census 2010 surnames and other cultures' common surnames";
  add(source, NAME_CONTEXTS[i % NAME_CONTEXTS.length] ?? 'Name: {}', [
    ['NAME', `${GIVEN[i % GIVEN.length]} ${surname}`],
  ]);
}

// ---- AWS keys (AWS documentation example keys) and dates of birth ----

add('AWS docs example access key id', 'aws_access_key_id = {}', [['AWS_ACCESS_KEY', 'AKIAIOSFODNN7EXAMPLE']]);
add('AWS docs example secret access key', 'aws_secret_access_key = {}', [
  ['AWS_SECRET_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
]);
for (const value of ['04/12/1986', '1979-11-03', 'March 5, 1990', '17 July 2001'])
  add('date formats of ISO 8601 and US/UK usage', 'DOB: {}', [['DATE_OF_BIRTH', value]]);

// ---- Near-miss negatives ----

const NEGATIVES: readonly (readonly [string, string])[] = [
  ['Version 10.0.19045.2965 installed', 'Windows build number (dotted run longer than an IP)'],
  ['Upgraded to v2.4.1.7 last night', 'version string, four parts'],
  ['release 1.2.3 is out', 'semantic version (semver.org)'],
  ['Order #112-4859320-7765012 shipped', 'Amazon-style order number'],
  ['Order number 7734591284003321 confirmed', 'sixteen-digit order number, not Luhn-valid'],
  ['Invoice 2024-000123, due 2024-03-15', 'invoice number and ISO 8601 date'],
  ['Meeting on 12/05/2024 at 10:30:45', 'date and time'],
  ['ISBN 978-0-306-40615-7', 'ISBN-13 example (ISO 2108)'],
  ['UUID 123e4567-e89b-12d3-a456-426614174000', 'RFC 4122 example UUID'],
  ['Tracking 1Z999AA10123456784', 'UPS tracking number format'],
  ['Total $1,234.56 for 3 items', 'amount'],
  ['Call us between 9 and 5, Monday to Friday', 'hours'],
  ['Customer Service will reply within 2 days', 'label word followed by an ordinary word'],
  ['Patient Portal login is broken', 'label word followed by an ordinary word'],
  ['Dear Customer, thank you for your order', 'salutation without a name'],
  ['ZIP 94105-1804, suite 300', 'ZIP+4'],
  ['Ticket INC0012345 opened', 'ticket number'],
  ['Reference 123456789 for your claim', 'nine digits with an order-type label'],
  ['Policy AB-123456, claim 7654321', 'policy and claim numbers'],
  ['Temperature 36.6 C, pulse 72', 'measurements'],
  ['Serial number 4111-2222-3333', 'twelve-digit serial in card-like groups'],
  ['Time 2024-03-15T10:30:00Z', 'RFC 3339 timestamp'],
  ['Coordinates 37.7749, -122.4194', 'latitude/longitude'],
  ['Build 2001.12.31.1 of the tool', 'dotted build number'],
  ['Room 12-34-56 on floor 3', 'room code'],
  ['sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709', 'SHA-1 of the empty string (RFC 3174)'],
];
for (const [text, source] of NEGATIVES) add(`near miss: ${source}`, text);

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const file = process.argv[2] ?? CORPUS_FILE;
  writeFileSync(file, `${cases.map((c) => JSON.stringify(c)).join('\n')}\n`);
  console.log(`wrote ${cases.length} cases to ${file}`);
}
