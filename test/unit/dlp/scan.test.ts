import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createLocalPiiDetector } from '../../../functions/adapters/local-pii-detector.js';
import { boxesForSpan, runDlpCheck } from '../../../functions/dlp/scan.js';
import type {
  Ocr,
  OcrResult,
  PiiDetector,
  Transcriber,
  TranscriptionRequest,
} from '../../../functions/ports.js';

const detector = createLocalPiiDetector();
const SSN = '536-22-4417';
const CARD = '4111 1111 1111 1111';

/** An OCR stand-in that "reads" fixed lines, one word box per word, 20 px per line. */
function fakeOcr(lines: string[]): Ocr {
  const words: {
    text: string;
    start: number;
    box: { left: number; top: number; width: number; height: number };
  }[] = [];
  let text = '';
  lines.forEach((line, row) => {
    if (row > 0) text += '\n';
    let x = 0;
    line.split(' ').forEach((word, i) => {
      if (i > 0) text += ' ';
      words.push({
        text: word,
        start: text.length,
        box: { left: x, top: row * 20, width: word.length * 6, height: 16 },
      });
      x += word.length * 6 + 6;
      text += word;
    });
  });
  const result: OcrResult = { text, words };
  return { name: 'fake-ocr', recognize: async () => result };
}

async function blankPng(): Promise<Buffer> {
  return sharp({ create: { width: 300, height: 120, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer();
}

const image = async () => ({ kind: 'image' as const, mime: 'image/png', bytes: await blankPng() });
const audio = {
  kind: 'audio' as const,
  mime: 'audio/wav',
  bytes: Buffer.from('RIFF'),
  location: { bucket: 'processed', key: 'processed/demo/mg-1' },
  durationSec: 4,
};
const transcription = {
  jobName: 'mg-1-dlp',
  output: { bucket: 'results', key: 'transcripts/demo/mg-1.json' },
};

/** The local detector, recording the language each call asked for. */
function languageSpy(): PiiDetector & { languages: (string | undefined)[] } {
  const languages: (string | undefined)[] = [];
  return {
    name: 'spy',
    languages,
    async detect(text, options) {
      languages.push(options?.languageCode);
      return detector.detect(text);
    },
  };
}

describe('runDlpCheck', () => {
  it('redacts contact data in the instructions with placeholders under the default policy', async () => {
    // Prepare
    const input = {
      tenant: 'demo',
      instructions: 'Reply to jo@example.com, cc jo@example.com',
      media: await image(),
    };
    // Act
    const out = await runDlpCheck({ detector }, input);
    // Assess
    expect(out.decision).toBe('redact');
    expect(out.promptText).toBe('Reply to <EMAIL_1>, cc <EMAIL_1>');
    expect(out.findings.map((f) => [f.type, f.source, f.action])).toEqual([
      ['EMAIL', 'instructions', 'redact'],
      ['EMAIL', 'instructions', 'redact'],
    ]);
    expect(out.redactedImage).toBeUndefined();
    expect(out.ocrScanned).toBe(false);
  });

  it('blocks an image whose text holds an SSN and a card number, naming types but no values', async () => {
    // Prepare
    const ocr = fakeOcr(['Claim form', `SSN: ${SSN}`, `Card: ${CARD}`]);
    // Act
    const out = await runDlpCheck(
      { detector, ocr },
      { tenant: 'demo', instructions: 'Summarise', media: await image() },
    );
    // Assess
    expect(out.decision).toBe('block');
    expect(out.rejection?.reason).toBe('PII_BLOCKED');
    expect(out.rejection?.message).toContain('SSN');
    expect(out.ocrScanned).toBe(true);
    expect(out.redactedImage).toBeUndefined();
    const serialized = JSON.stringify(out);
    expect(serialized).not.toContain(SSN);
    expect(serialized).not.toContain('4111');
  });

  it('paints out the words of redacted findings and returns the image the model must get', async () => {
    // Prepare
    const ocr = fakeOcr(['Claim form', `SSN: ${SSN}`, `Card: ${CARD}`]);
    const media = await image();
    // Act
    const out = await runDlpCheck(
      { detector, ocr },
      { tenant: 'redact-demo', instructions: 'Summarise', media },
    );
    // Assess
    expect(out.decision).toBe('redact');
    expect(out.findings.map((f) => f.type)).toEqual(['SSN', 'CREDIT_DEBIT_NUMBER']);
    expect(out.redactedImage?.mime).toBe('image/png');
    const { data, info } = await sharp(out.redactedImage?.bytes).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => data[(y * info.width + x) * info.channels];
    expect(at(40, 28)).toBe(0); // inside the SSN word box (second line)
    expect(at(5, 5)).toBe(255); // "Claim" is not painted
  });

  it('paints out a labelled value OCR misread, without blocking the item for it', async () => {
    // Prepare: the card's last group was misread, so Luhn fails and no recognizer reports it
    const ocr = fakeOcr(['Claim form', 'Card number: 4111 1111 1111 1171']);
    // Act
    const out = await runDlpCheck(
      { detector, ocr },
      { tenant: 'demo', instructions: 'Summarise', media: await image() },
    );
    // Assess
    expect(out.decision).toBe('redact');
    expect(out.findings).toMatchObject([
      { type: 'CREDIT_DEBIT_NUMBER', source: 'ocr', score: 0.5, action: 'redact' },
    ]);
    expect(out.redactedImage).toBeDefined();
  });

  it('drops findings under the rule threshold', async () => {
    // Prepare: nine bare digits with no label score below the default threshold
    const input = { tenant: 'demo', instructions: 'order 536224418 shipped', media: await image() };
    // Act
    const out = await runDlpCheck({ detector }, input);
    // Assess
    expect(out.decision).toBe('allow');
    expect(out.findings).toEqual([]);
    expect(out.promptText).toBe(input.instructions);
  });

  it('blocks rather than passes an OCR finding that has no box to paint', async () => {
    // Prepare
    const boxless: PiiDetector = {
      name: 'boxless',
      detect: async (text) =>
        text.includes('@') ? [{ type: 'EMAIL', score: 0.9, start: 0, end: 3, boxes: [] }] : [],
    };
    const ocr: Ocr = { name: 'fake', recognize: async () => ({ text: 'x@y.z', words: [] }) };
    // Act
    const out = await runDlpCheck(
      { detector: boxless, ocr },
      { tenant: 'demo', instructions: 'hi', media: await image() },
    );
    // Assess
    expect(out.decision).toBe('block');
    expect(out.findings[0]?.action).toBe('block');
  });

  it('rejects audio that could not be transcribed under the default policy and says it was not scanned', async () => {
    // Act
    const out = await runDlpCheck({ detector }, { tenant: 'demo', instructions: 'Transcribe', media: audio });
    // Assess
    expect(out.decision).toBe('block');
    expect(out.rejection?.reason).toBe('AUDIO_NOT_SCANNED');
    expect(out.transcriptScanned).toBe(false);
  });

  it('lets unscanned audio through when the tenant policy allows it, still recording it as unscanned', async () => {
    // Prepare
    const transcriber: Transcriber = { name: 'none', transcribe: async () => null };
    // Act
    const out = await runDlpCheck(
      { detector, transcriber },
      { tenant: 'audio-unscanned-ok', instructions: 'Transcribe', media: audio, transcription },
    );
    // Assess
    expect(out.decision).toBe('allow');
    expect(out.rejection).toBeUndefined();
    expect(out.transcriptScanned).toBe(false);
  });

  it('blocks speech holding data the policy would redact, since audio cannot be redacted', async () => {
    // Prepare
    const transcriber: Transcriber = {
      name: 'fake',
      transcribe: async () => ({ text: 'call me at (415) 555-2671', seconds: 3 }),
    };
    // Act
    const out = await runDlpCheck(
      { detector, transcriber },
      { tenant: 'demo', instructions: 'Transcribe', media: audio, transcription },
    );
    // Assess
    expect(out.transcriptScanned).toBe(true);
    expect(out.decision).toBe('block');
    expect(out.rejection?.reason).toBe('PII_BLOCKED');
    expect(out.findings).toMatchObject([{ type: 'PHONE', source: 'transcript', action: 'block' }]);
  });

  it('allows clean audio once its transcript is scanned', async () => {
    // Prepare
    const transcriber: Transcriber = {
      name: 'fake',
      transcribe: async () => ({ text: 'the weather is fine', seconds: 2 }),
    };
    // Act
    const out = await runDlpCheck(
      { detector, transcriber },
      { tenant: 'demo', instructions: 'Transcribe', media: audio, transcription },
    );
    // Assess
    expect(out).toMatchObject({
      decision: 'allow',
      transcriptScanned: true,
      findings: [],
      detector: 'local-recognizers',
    });
    expect(out.policyVersion).toMatch(/^default@/);
  });
  it('asks the detector for English unless the tenant policy names a language', async () => {
    // Prepare
    const spy = languageSpy();
    const ocr = fakeOcr(['Claim form']);
    // Act
    const out = await runDlpCheck(
      { detector: spy, ocr },
      { tenant: 'demo', instructions: 'Summarise', media: await image() },
    );
    // Assess
    expect(spy.languages).toEqual(['en', 'en']);
    expect(out.language).toBe('en');
  });

  it('passes `auto` to the detector for every text under a policy that detects the language', async () => {
    // Prepare
    const spy = languageSpy();
    const ocr = fakeOcr(['Formulario de reclamación']);
    // Act
    const out = await runDlpCheck(
      { detector: spy, ocr },
      { tenant: 'language-auto', instructions: 'Resume el documento', media: await image() },
    );
    // Assess
    expect(spy.languages).toEqual(['auto', 'auto']);
    expect(out).toMatchObject({ language: 'auto', policyVersion: expect.stringMatching(/^language-auto@/) });
  });

  it('gives the transcriber where the audio is, the job name, the output object and the language', async () => {
    // Prepare
    const requests: TranscriptionRequest[] = [];
    const transcriber: Transcriber = {
      name: 'fake',
      transcribe: async (request) => {
        requests.push(request);
        return { text: 'hola, buenos días', seconds: 4, languageCode: 'es-US' };
      },
    };
    const spy = languageSpy();
    // Act
    await runDlpCheck(
      { detector: spy, transcriber },
      { tenant: 'language-auto', instructions: '', media: audio, transcription },
    );
    // Assess
    expect(requests).toMatchObject([
      {
        audio: { bucket: 'processed', key: 'processed/demo/mg-1' },
        mime: 'audio/wav',
        jobName: 'mg-1-dlp',
        output: { bucket: 'results', key: 'transcripts/demo/mg-1.json' },
        languageCode: 'auto',
        durationSec: 4,
      },
    ]);
    // The instructions go as the policy says; the transcript in the language the recogniser identified.
    expect(spy.languages).toEqual(['auto', 'es-US']);
  });

  it('refuses to transcribe audio it was not told the location of, rather than skip the scan', async () => {
    // Prepare
    const transcriber: Transcriber = { name: 'fake', transcribe: async () => null };
    const { location: _none, ...unplaced } = audio;
    // Act
    const attempt = runDlpCheck(
      { detector, transcriber },
      { tenant: 'demo', instructions: '', media: unplaced, transcription },
    );
    // Assess
    await expect(attempt).rejects.toThrow('a transcriber needs the audio location');
  });

  it('collects every request the adapters billed, in the order they were made', async () => {
    // Prepare
    const billingDetector: PiiDetector = {
      name: 'billing',
      async detect(text, options) {
        options?.meter?.record({ service: 'comprehend', quantity: text.length });
        return [];
      },
    };
    const ocr: Ocr = {
      name: 'billing-ocr',
      async recognize(_image, options) {
        options?.meter?.record({ service: 'textract', quantity: 1 });
        return { text: 'Claim form', words: [] };
      },
    };
    // Act
    const out = await runDlpCheck(
      { detector: billingDetector, ocr },
      { tenant: 'demo', instructions: 'Summarise', media: await image() },
    );
    // Assess
    expect(out.billed).toEqual([
      { service: 'comprehend', quantity: 9 },
      { service: 'textract', quantity: 1 },
      { service: 'comprehend', quantity: 10 },
    ]);
  });

  it('bills nothing with the offline adapters', async () => {
    // Act
    const out = await runDlpCheck(
      { detector, ocr: fakeOcr(['Claim form']) },
      { tenant: 'demo', instructions: 'Summarise', media: await image() },
    );
    // Assess
    expect(out.billed).toEqual([]);
  });
});

describe('where a finding is painted', () => {
  it('joins the words of a value into one box per row, gaps included', () => {
    // Prepare: a card number split over two rows of four words
    const box = (left: number, top: number) => ({ left, top, width: 40, height: 18 });
    const words = [
      { text: '4111', start: 0, box: box(100, 10) },
      { text: '1111', start: 5, box: box(150, 11) },
      { text: '1111', start: 10, box: box(0, 40) },
      { text: '1111', start: 15, box: box(50, 39) },
    ];
    // Act
    const boxes = boxesForSpan(words, 0, 19);
    // Assess
    expect(boxes).toEqual([
      { left: 100, top: 10, width: 90, height: 19 },
      { left: 0, top: 39, width: 90, height: 19 },
    ]);
  });

  it('paints the whole e-mail address when OCR split it after a dot', async () => {
    // Prepare
    const ocr = fakeOcr(['Claim form', 'Email: fatima. kowalski99@claims.example.net']);
    // Act
    const out = await runDlpCheck(
      { detector, ocr },
      { tenant: 'redact-demo', instructions: '', media: await image() },
    );
    // Assess: the finding starts at "fatima." (offset 18 of the OCR text), not at the part after the space
    const email = out.findings.find((f) => f.type === 'EMAIL');
    expect(email).toMatchObject({ source: 'ocr', start: 18, action: 'redact' });
    expect(out.redactedImage).toBeDefined();
  });
});
