/**
 * Generates the PDF fixtures with MuPDF itself (the `mupdf` npm package): what a phone scanner app, an
 * office suite or an attacker would upload. Text is drawn in MuPDF's built-in Helvetica (text layers) or
 * drawn by sharp in DejaVu and embedded as an image (scans). Nothing beyond `npm ci` is needed.
 *
 * The values are fictitious: 536-22-4417 is the SSN the DLP tests use (test/unit/dlp).
 * Markers (`*_MARKER`) are strings the tests look for, byte for byte, in every output: none may survive.
 *
 *   npx tsx scripts/make-documents.ts [DIR]      (default test/fixtures/generated/documents)
 */
import { join, resolve } from 'node:path';
import * as mupdf from 'mupdf';
import sharp from 'sharp';
import { useFixtureFonts } from './fixture-fonts.js';
import { GENERATED_DIR, writeFixtureSet } from './make-fixtures.js';

useFixtureFonts();

export const DOCUMENTS_DIR = join(GENERATED_DIR, 'documents');

/** In the OpenAction JavaScript of `pdfWithScriptAndAttachment`. */
export const SCRIPT_MARKER = 'MG_SCRIPT_MARKER_5d1e';
/** The whole content of the embedded file of `pdfWithScriptAndAttachment`. */
export const EMBEDDED_MARKER = 'MG_EMBEDDED_FILE_MARKER_c93b';
/** In the Info dictionary and the XMP packet of `textPdfWithMetadata`. */
export const METADATA_MARKER = 'Jane Metadata-Author';
export const LETTER: readonly [number, number, number, number] = [0, 0, 612, 792];

type Page = {
  readonly box?: readonly [number, number, number, number];
  readonly content: string;
  readonly resources?: Record<string, unknown>;
};

function pdfOf(
  pages: readonly Page[],
  decorate?: (doc: mupdf.PDFDocument) => void,
  saveOptions = '',
): Buffer {
  const doc = new mupdf.PDFDocument();
  const font = doc.addSimpleFont(new mupdf.Font('Helvetica'));
  for (const page of pages) {
    const resources = doc.addObject({ Font: { F1: font }, ...page.resources });
    doc.insertPage(-1, doc.addPage([...(page.box ?? LETTER)] as mupdf.Rect, 0, resources, page.content));
  }
  decorate?.(doc);
  const bytes = Buffer.from(doc.saveToBuffer(saveOptions).asUint8Array());
  doc.destroy();
  return bytes;
}

function textContent(lines: readonly string[], size = 16): string {
  const escaped = lines.map((line) => line.replace(/[\\()]/g, (c) => `\\${c}`));
  return `BT /F1 ${size} Tf 72 720 Td ${size * 1.6} TL ${escaped.map((line) => `(${line}) Tj T*`).join(' ')} ET`;
}

/** A contract-like text page: Info and XMP metadata naming the author; an SSN in the text layer only. */
export function textPdfWithMetadata(): Buffer {
  return pdfOf(
    [
      {
        content: textContent([
          'SERVICE AGREEMENT',
          'Between Example Corp and the client.',
          'Client SSN: 536-22-4417',
          'Signed in London.',
        ]),
      },
    ],
    (doc) => {
      doc.setMetaData('info:Author', METADATA_MARKER);
      doc.setMetaData('info:Title', 'Agreement for Jane Example');
      doc.setMetaData('info:Creator', 'ExampleWriter 7.1 (serial EW-5521)');
      doc.setMetaData('info:Producer', 'ExampleWriter PDF export');
      const xmp = `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>${METADATA_MARKER}</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
      const metadata = doc.addStream(xmp, { Type: 'Metadata', Subtype: 'XML' });
      doc.getTrailer().get('Root').put('Metadata', metadata);
    },
  );
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A scanned page: text drawn by sharp (DejaVu) into a greyscale raster, like a phone scanner app's. */
export async function scannedPageImage(title: string, lines: readonly string[]): Promise<Buffer> {
  const width = 1275;
  const height = 1650;
  const body = lines
    .map(
      (line, i) =>
        `<text x="110" y="${420 + i * 110}" font-family="DejaVu Sans" font-size="44" fill="#111">${escapeXml(line)}</text>`,
    )
    .join('\n');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect width="100%" height="100%" fill="#fbfbf8"/>
  <text x="110" y="260" font-family="DejaVu Sans" font-weight="bold" font-size="60" fill="#000">${escapeXml(title)}</text>
  <line x1="110" y1="300" x2="1165" y2="300" stroke="#333" stroke-width="3"/>
  ${body}
</svg>`;
  return sharp(Buffer.from(svg)).greyscale().jpeg({ quality: 80 }).toBuffer();
}

/** Image-only pages (no text layer), each a full-page scan. */
export async function scannedPdf(scans: readonly Buffer[]): Promise<Buffer> {
  const doc = new mupdf.PDFDocument();
  for (const scan of scans) {
    const image = doc.addImage(new mupdf.Image(scan));
    const resources = doc.addObject({ XObject: { Im0: image } });
    doc.insertPage(
      -1,
      doc.addPage([...LETTER] as mupdf.Rect, 0, resources, 'q 612 0 0 792 0 0 cm /Im0 Do Q'),
    );
  }
  const bytes = Buffer.from(doc.saveToBuffer('compress').asUint8Array());
  doc.destroy();
  return bytes;
}

/** A one-page scan of a letter with nothing sensitive on it. */
export async function scannedPdfPage(): Promise<Buffer> {
  return scannedPdf([
    await scannedPageImage('DELIVERY NOTE', ['Parcel left at the front desk.', 'Two boxes, both intact.']),
  ]);
}

/** Page 1: the claim; page 2: the claimant's details, with an SSN. Image-only, as a scanner makes it. */
export async function twoPageClaimForm(): Promise<Buffer> {
  return scannedPdf([
    await scannedPageImage('INSURANCE CLAIM FORM', [
      'Claim: water damage to kitchen',
      'Date of loss: last Tuesday',
      'Page 1 of 2',
    ]),
    await scannedPageImage('CLAIMANT DETAILS', ['Claimant: Jane Example', 'SSN: 536-22-4417', 'Page 2 of 2']),
  ]);
}

/**
 * What a hostile PDF carries besides its page: an OpenAction JavaScript, a Launch action on the page,
 * an embedded file, and an annotation with a popup note; its page shows harmless text.
 */
export function pdfWithScriptAndAttachment(): Buffer {
  return pdfOf([{ content: textContent(['Invoice 2231', 'Amount due: 120.00']) }], (doc) => {
    const root = doc.getTrailer().get('Root');
    root.put(
      'OpenAction',
      doc.addObject({ S: 'JavaScript', JS: doc.newString(`app.alert("${SCRIPT_MARKER}");`) }),
    );
    const file = doc.addEmbeddedFile('payload.txt', 'text/plain', EMBEDDED_MARKER, new Date(0), new Date(0));
    root.put('Names', doc.addObject({ EmbeddedFiles: { Names: [doc.newString('payload.txt'), file] } }));
    const page = doc.findPage(0);
    page.put('AA', doc.addObject({ O: { S: 'Launch', F: doc.newString('calc.exe') } }));
    page.put(
      'Annots',
      doc.addObject([
        doc.addObject({
          Type: 'Annot',
          Subtype: 'Text',
          Rect: [300, 600, 320, 620],
          Contents: doc.newString(`note ${SCRIPT_MARKER}`),
          Open: true,
        }),
      ]),
    );
  });
}

/** Encrypted with AES-256: a user password is needed to open it. */
export function encryptedPdf(): Buffer {
  return pdfOf(
    [{ content: textContent(['Confidential']) }],
    undefined,
    'encrypt=aes-256,user-password=user-secret,owner-password=owner-secret',
  );
}

/** Encrypted with an owner password only: readers open it without asking, but it is still encrypted. */
export function ownerPasswordPdf(): Buffer {
  return pdfOf(
    [{ content: textContent(['Restricted printing']) }],
    undefined,
    'encrypt=rc4-128,owner-password=owner-secret',
  );
}

/** The first 60% of a text PDF: no cross-reference table, no trailer. */
export function truncatedPdf(): Buffer {
  const whole = textPdfWithMetadata();
  return whole.subarray(0, Math.floor(whole.length * 0.6));
}

/** 1 000 small pages. */
export function pageBombPdf(pages = 1_000): Buffer {
  return pdfOf(
    Array.from({ length: pages }, (_, i) => ({
      box: [0, 0, 72, 72] as const,
      content: textContent([`${i + 1}`], 10),
    })),
  );
}

/** One page of 200 000 × 200 000 points (2 777 inches a side): rendered at 150 dpi it would be 173 gigapixels. */
export function pageSizeBombPdf(): Buffer {
  return pdfOf([{ box: [0, 0, 200_000, 200_000], content: textContent(['big']) }]);
}

export const DOCUMENT_FIXTURES: Readonly<Record<string, () => Buffer | Promise<Buffer>>> = {
  'text-with-metadata.pdf': textPdfWithMetadata,
  'scanned.pdf': scannedPdfPage,
  'claim-form-2-pages.pdf': twoPageClaimForm,
  'script-and-attachment.pdf': pdfWithScriptAndAttachment,
  'encrypted.pdf': encryptedPdf,
  'owner-password.pdf': ownerPasswordPdf,
  'truncated.pdf': truncatedPdf,
  'page-bomb.pdf': () => pageBombPdf(),
  'page-size-bomb.pdf': pageSizeBombPdf,
  'pdf-named.jpg': textPdfWithMetadata,
};

export function writeDocumentFixtures(dir = DOCUMENTS_DIR): Promise<string[]> {
  return writeFixtureSet(DOCUMENT_FIXTURES, dir);
}

if (import.meta.filename === resolve(process.argv[1] ?? '')) {
  const written = await writeDocumentFixtures(process.argv[2] ? resolve(process.argv[2]) : DOCUMENTS_DIR);
  process.stdout.write(`${written.length} document fixtures written\n`);
}
