import { analyzeText } from '../../../../functions/dlp/analyzer.js';
import type { Recognizer } from '../../../../functions/dlp/recognizers/index.js';

/** What one recognizer alone finds in `text`, as matched strings with scores. */
export function found(recognizer: Recognizer, text: string): { text: string; score: number }[] {
  return analyzeText(text, [recognizer]).map((f) => ({ text: text.slice(f.start, f.end), score: f.score }));
}

/** Matched strings scoring at least `minScore` (the default policy threshold). */
export function reported(recognizer: Recognizer, text: string, minScore = 0.5): string[] {
  return found(recognizer, text)
    .filter((f) => f.score >= minScore)
    .map((f) => f.text);
}
