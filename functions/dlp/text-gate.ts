/**
 * OCR only where there may be text: an `Ocr` that first asks `textLikelihood` and answers "no text" for an
 * image that is smooth everywhere, without running (or, with Textract, paying for) the real OCR. Whatever
 * could hold text goes to the real OCR unchanged.
 */
import { textLikelihood } from '../media/text-likelihood.js';
import type { Ocr } from '../ports.js';

export function ocrWhereTextMayBe(ocr: Ocr): Ocr {
  return {
    name: ocr.name,
    async recognize(image, options) {
      const { mayContainText } = await textLikelihood(image);
      return mayContainText ? ocr.recognize(image, options) : { text: '', words: [] };
    },
  };
}
