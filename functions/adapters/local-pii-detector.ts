import { analyzeText } from '../dlp/analyzer.js';
import type { PiiDetector } from '../ports.js';

/**
 * Offline PII detector: pattern recognizers with validators and context words, in the manner of
 * Microsoft Presidio (see `functions/dlp/recognizers/`). English/US formats; the language
 * option is accepted and ignored.
 */
export function createLocalPiiDetector(): PiiDetector {
  return {
    name: 'local-recognizers',
    async detect(text, options) {
      return analyzeText(text, undefined, { phoneRegions: options?.phoneRegions });
    },
  };
}
