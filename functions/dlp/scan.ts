/**
 * DlpCheck, the domain entry point: scan the instructions, the text OCR reads in an image and the
 * transcript of a voice note; apply the tenant's policy; redact what it says to redact (text
 * placeholders, painted boxes) and block what it says to block. Findings carry types, scores and
 * positions only; nothing here logs or returns a matched value.
 */
import type { DlpSection } from '../pipeline/document.js';
import { type Rejection, reject } from '../pipeline/reasons.js';
import type {
  BilledRequest,
  ObjectLocation,
  Ocr,
  OcrResult,
  OcrWord,
  PiiDetector,
  PiiEntityType,
  PiiFinding,
  PixelBox,
  Transcriber,
  UsageMeter,
} from '../ports.js';
import { labelledValueFallback, widenOverSplitWords } from './ocr-fallback.js';
import { type DlpAction, policyForTenant, ruleFor } from './policy.js';
import { redactImage } from './redact-image.js';
import { redactText } from './redact-text.js';

export interface DlpDeps {
  detector: PiiDetector;
  ocr?: Ocr;
  transcriber?: Transcriber;
}

export interface DlpInput {
  tenant: string;
  /** The DLP policy the tenant's registry record names, if any (else the policy file decides). */
  policyName?: string;
  instructions: string;
  media: {
    kind: 'image' | 'audio';
    mime: string;
    bytes: Buffer;
    /** Where the bytes are stored; a batch transcriber reads them from there. */
    location?: ObjectLocation;
    durationSec?: number;
    /**
     * A document page's own text layer, with each line's box in this image's pixels: scanned beside the
     * OCR (a PDF may carry text the pixels do not show legibly, or show it where OCR misreads it).
     */
    textLayer?: OcrResult;
  };
  /** Job name and output object for the transcriber (deterministic per execution). */
  transcription?: { jobName: string; output: ObjectLocation };
}

export type DlpFinding = DlpSection['findings'][number];

export interface DlpOutcome {
  decision: 'allow' | 'redact' | 'block';
  /** PII_BLOCKED or AUDIO_NOT_SCANNED when the decision is `block`. */
  rejection?: Rejection;
  findings: DlpSection['findings'];
  /** Instructions with redacted spans replaced by placeholders (every finding, when blocked). */
  promptText: string;
  /** The image the model must receive instead of the original, when something was painted out. */
  redactedImage?: { bytes: Buffer; mime: string };
  ocrScanned: boolean;
  transcriptScanned?: boolean;
  policyVersion: string;
  /** The language the policy asked for (`en`, `es`, `auto`). */
  language: string;
  detector: string;
  /** Every AWS request the adapters reported as billed, in the order they were made. */
  billed: readonly BilledRequest[];
}

const ACTION_RANK: Readonly<Record<DlpAction, number>> = { allow: 0, redact: 1, block: 2 };

/**
 * Where a character span is on the image: the OCR words it touches (a partly covered word is painted
 * whole), joined into one box per row, so that the gaps between the words of a value split by OCR
 * ("4111 1111 …", "jo. doe@…") are painted too and no separator or stray glyph is left between boxes.
 */
export function boxesForSpan(words: readonly OcrWord[], start: number, end: number): PixelBox[] {
  const rows: { left: number; top: number; right: number; bottom: number }[] = [];
  for (const { box } of words.filter((w) => w.start < end && start < w.start + w.text.length)) {
    const middle = box.top + box.height / 2;
    const row = rows.find((r) => middle > r.top && middle < r.bottom);
    if (!row) {
      rows.push({ left: box.left, top: box.top, right: box.left + box.width, bottom: box.top + box.height });
      continue;
    }
    row.left = Math.min(row.left, box.left);
    row.top = Math.min(row.top, box.top);
    row.right = Math.max(row.right, box.left + box.width);
    row.bottom = Math.max(row.bottom, box.top + box.height);
  }
  return rows.map((r) => ({ left: r.left, top: r.top, width: r.right - r.left, height: r.bottom - r.top }));
}

interface Scanned {
  readonly source: DlpFinding['source'];
  readonly finding: PiiFinding;
  readonly action: DlpAction;
}

function summary(findings: readonly Scanned[]): string {
  const counts = new Map<PiiEntityType, number>();
  for (const f of findings) counts.set(f.finding.type, (counts.get(f.finding.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${type} x${n}`).join(', ');
}

export async function runDlpCheck(deps: DlpDeps, input: DlpInput): Promise<DlpOutcome> {
  const policy = policyForTenant(input.tenant, input.policyName);
  const scanned: Scanned[] = [];
  const billed: BilledRequest[] = [];
  const meter: UsageMeter = { record: (request) => billed.push(request) };
  const detect = (text: string, languageCode: string = policy.language) =>
    deps.detector.detect(text, { languageCode, meter, phoneRegions: policy.phoneRegions });
  const transcriptionRequest = () => {
    const { location, durationSec } = input.media;
    if (!location || !input.transcription)
      throw new Error('a transcriber needs the audio location, a job name and an output object');
    return {
      audio: location,
      bytes: input.media.bytes,
      mime: input.media.mime,
      ...input.transcription,
      languageCode: policy.language,
      ...(durationSec === undefined ? {} : { durationSec }),
      meter,
    };
  };

  const applyPolicy = (
    source: DlpFinding['source'],
    findings: readonly PiiFinding[],
    redactOnly = false,
  ): void => {
    for (const finding of findings) {
      const rule = ruleFor(policy, finding.type);
      if (finding.score < rule.minScore) continue;
      const action = redactOnly && rule.action === 'block' ? 'redact' : rule.action;
      scanned.push({ source, finding, action });
    }
  };

  applyPolicy('instructions', await detect(input.instructions));

  let ocrScanned = false;
  let transcriptScanned: boolean | undefined;
  if (input.media.kind === 'image' && deps.ocr) {
    const ocr = await deps.ocr.recognize(input.media.bytes, { meter });
    ocrScanned = true;
    const detected = ocr.text.trim() === '' ? [] : await detect(ocr.text);
    const findings = widenOverSplitWords(ocr.text, detected);
    const withBoxes = (f: PiiFinding): PiiFinding => ({
      ...f,
      boxes: f.boxes ?? boxesForSpan(ocr.words, f.start, f.end),
    });
    applyPolicy('ocr', findings.map(withBoxes));
    applyPolicy(
      'ocr',
      widenOverSplitWords(ocr.text, labelledValueFallback(ocr.text, findings)).map(withBoxes),
      true,
    );
  }
  const textLayer = input.media.textLayer;
  if (input.media.kind === 'image' && textLayer && textLayer.text.trim() !== '') {
    const detected = widenOverSplitWords(textLayer.text, await detect(textLayer.text));
    applyPolicy(
      'text_layer',
      detected.map((f) => ({ ...f, boxes: f.boxes ?? boxesForSpan(textLayer.words, f.start, f.end) })),
    );
  }
  if (input.media.kind === 'audio') {
    const transcript = deps.transcriber ? await deps.transcriber.transcribe(transcriptionRequest()) : null;
    transcriptScanned = transcript !== null;
    // A recogniser that identified the spoken language knows better than `auto`.
    if (transcript && transcript.text.trim() !== '')
      applyPolicy('transcript', await detect(transcript.text, transcript.languageCode ?? policy.language));
  }

  // Speech cannot be painted out, and an OCR finding without a box cannot be either: what the policy
  // would redact there is blocked instead, so nothing the policy wanted hidden reaches the model.
  for (const [i, s] of scanned.entries()) {
    const painted = s.source === 'ocr' || s.source === 'text_layer';
    const unredactable = s.source === 'transcript' || (painted && (s.finding.boxes?.length ?? 0) === 0);
    if (s.action === 'redact' && unredactable) scanned[i] = { ...s, action: 'block' };
  }

  const findings: DlpFinding[] = scanned.map((s) => ({
    type: s.finding.type,
    source: s.source,
    score: s.finding.score,
    start: s.finding.start,
    end: s.finding.end,
    action: s.action,
  }));
  const base = {
    findings,
    ocrScanned,
    ...(transcriptScanned === undefined ? {} : { transcriptScanned }),
    policyVersion: policy.version,
    language: policy.language,
    detector: deps.detector.name,
    billed,
  };
  const fromInstructions = scanned.filter((s) => s.source === 'instructions');
  const decision = scanned.reduce<DlpAction>(
    (worst, s) => (ACTION_RANK[s.action] > ACTION_RANK[worst] ? s.action : worst),
    'allow',
  );

  if (decision === 'block') {
    const blocked = scanned.filter((s) => s.action === 'block');
    return {
      ...base,
      decision,
      rejection: reject('PII_BLOCKED', `the tenant's DLP policy blocks: ${summary(blocked)}`),
      promptText: redactText(
        input.instructions,
        fromInstructions.map((s) => s.finding),
      ),
    };
  }
  if (input.media.kind === 'audio' && !transcriptScanned && policy.unscannedAudio === 'block') {
    return {
      ...base,
      decision: 'block',
      rejection: reject(
        'AUDIO_NOT_SCANNED',
        'no transcript could be made to scan the audio for PII, and the policy requires one',
      ),
      promptText: redactText(
        input.instructions,
        fromInstructions.map((s) => s.finding),
      ),
    };
  }

  const promptText = redactText(
    input.instructions,
    fromInstructions.filter((s) => s.action === 'redact').map((s) => s.finding),
  );
  const boxes = scanned
    .filter((s) => (s.source === 'ocr' || s.source === 'text_layer') && s.action === 'redact')
    .flatMap((s) => s.finding.boxes ?? []);
  if (boxes.length > 0) {
    return { ...base, decision, promptText, redactedImage: await redactImage(input.media.bytes, boxes) };
  }
  return { ...base, decision, promptText };
}
