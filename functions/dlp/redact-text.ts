import type { PiiEntityType } from '../ports.js';

export interface TextSpan {
  readonly type: PiiEntityType;
  readonly start: number;
  readonly end: number;
}

/** "4111 1111 1111 1111" and "4111-1111-1111-1111" are one card; "Jo@Example.com" and "jo@example.com" one address. */
function sameValueKey(value: string): string {
  return value.replace(/[^\p{L}\p{N}@.]/gu, '').toLowerCase();
}

/**
 * Replaces each span with a typed placeholder (`<SSN_1>`, `<EMAIL_2>`): numbered per type in order of
 * appearance, the same value always getting the same placeholder so the model can still tell that
 * two mentions are one person or one card. Spans must not overlap.
 */
export function redactText(text: string, spans: readonly TextSpan[]): string {
  const ordered = [...spans].sort((a, b) => a.start - b.start);
  const placeholders = new Map<string, string>();
  const counters = new Map<PiiEntityType, number>();
  let out = '';
  let cursor = 0;
  for (const span of ordered) {
    if (span.start < cursor) continue;
    const key = `${span.type}\u0000${sameValueKey(text.slice(span.start, span.end))}`;
    let placeholder = placeholders.get(key);
    if (!placeholder) {
      const n = (counters.get(span.type) ?? 0) + 1;
      counters.set(span.type, n);
      placeholder = `<${span.type}_${n}>`;
      placeholders.set(key, placeholder);
    }
    out += text.slice(cursor, span.start) + placeholder;
    cursor = span.end;
  }
  return out + text.slice(cursor);
}
