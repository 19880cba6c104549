import { isKnownName, isOrdinaryWord } from './name-gazetteer.js';
import type { Recognizer, RecognizerMatch } from './recognizer.js';

/** A label, matched case-insensitively without making the whole pattern (and so the name) case-blind. */
function anyCase(word: string): string {
  return [...word].map((c) => (/[a-z]/i.test(c) ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c)).join('');
}

const LABELS = [
  'full name',
  'name',
  'claimant',
  'patient',
  'insured',
  'policyholder',
  'policy holder',
  'beneficiary',
  'applicant',
  'cardholder',
  'account holder',
  'employee',
  'member',
  'signed',
].map((l) => anyCase(l).replace(/ /g, '\\s+'));

/**
 * Capitalised words that end a name: the labels of the next field of a form, and words that start
 * the next sentence when a writer left out the full stop ("Claimant: Wei Patel Call me tomorrow").
 */
const FIELD_LABELS = [
  'Date',
  'DOB',
  'Phone',
  'Tel',
  'Address',
  'Email',
  'Policy',
  'Claim',
  'Card',
  'Account',
  'Number',
  'Social',
  'SSN',
  'Passport',
  'Driver',
  'Signature',
  'Routing',
  'IBAN',
  'Amount',
  'Member',
  'Group',
  'ID',
];
const SENTENCE_STARTS = [
  'I',
  'We',
  'He',
  'She',
  'They',
  'It',
  'You',
  'My',
  'Our',
  'Your',
  'His',
  'Her',
  'Their',
  'The',
  'This',
  'That',
  'These',
  'Those',
  'A',
  'An',
  'Please',
  'Thank',
  'Thanks',
  'Use',
  'Call',
  'Mail',
  'Send',
  'Contact',
  'Pay',
  'Wire',
  'Transfer',
  'Refund',
  'See',
  'Attached',
  'Also',
  'And',
  'But',
  'Or',
  'If',
  'When',
  'Was',
  'Is',
  'Has',
  'Had',
  'Will',
  'Can',
  'Login',
  'Server',
  'Born',
  'Lives',
];
const STOP = `(?:${[...FIELD_LABELS, ...SENTENCE_STARTS].join('|')})\\b`;
// Letters of any script with case (Siobhán, Wiśniewski, Øyvind), so a name is never cut at an accent;
// O'Connell, D'Angelo, McDonald and Anne-Marie are one word each.
const WORD = "(?:\\p{Lu}['’])?\\p{Lu}\\p{Ll}+(?:(?:['’-]\\p{Lu}?|\\p{Lu})\\p{Ll}+)*";
const NAME = `${WORD}(?:[ ]+(?!${STOP})(?:\\p{Lu}\\.|${WORD})){1,3}`;

/**
 * Words that announce a person without a colon ("Customer Jordan Whitfield", "Dear Priya Okafor").
 * After "Dear" any capitalised name counts; after the others the first word must be a known given
 * name or surname (gazetteer), or two words none of which is an ordinary English word, so "Customer
 * Service" or "Patient Portal" is not a name.
 */
const CUES = [
  'Dear',
  'Customer',
  'Patient',
  'Claimant',
  'Client',
  'Insured',
  'Applicant',
  'Beneficiary',
  'Policyholder',
  'Member',
  'Employee',
  'Tenant',
  'Passenger',
  'Guest',
  'Attn',
  'Attention',
  'Cardholder',
  'Caller',
  'Mr',
  'Mrs',
  'Ms',
  'Dr',
];
const CUE_NAME = new RegExp(
  `(?<!\\p{L})(?<cue>${CUES.map(anyCase).join('|')})\\.?[ \\t]*[:,#-]?[ \\t]*(?<value>${WORD}(?:[ ]+(?!${STOP})(?:\\p{Lu}\\.|${WORD})){0,3})`,
  'dgu',
);

function findCuedNames(text: string): RecognizerMatch[] {
  const out: RecognizerMatch[] = [];
  for (const m of text.matchAll(CUE_NAME)) {
    const span = m.indices?.groups?.value;
    const value = m.groups?.value ?? '';
    if (!span) continue;
    const words = value.split(/\s+/);
    // Ordinary words at the end are the next phrase, not the surname ("Jordan Whitfield Support").
    while (words.length > 1 && isOrdinaryWord(words.at(-1) ?? '')) words.pop();
    const first = words[0] ?? '';
    const dear = m.groups?.cue?.toLowerCase() === 'dear';
    // Two capitalised words that are no ordinary words are a name too, known or not ("Siddharth Venkataraman").
    const fullName = words.length > 1 && !words.some((w) => isOrdinaryWord(w.replace(/\.$/, '')));
    if (isOrdinaryWord(first) || !(dear || fullName || isKnownName(first))) continue;
    out.push({ start: span[0], end: span[0] + words.join(' ').length, score: 0.7 });
  }
  return out;
}

/**
 * Person names, the light way: no NLP model, only names a form or letter announces, after a label
 * ("Name:", "Claimant:", "Patient:") or a title ("Mr.", "Dr."). Limits, by design: a name without
 * such a cue, in ALL CAPS, or in lower case is not found; a capitalised word after the name on the
 * same line may be taken as part of it unless it is a known field label.
 */
export const personNameRecognizer: Recognizer = {
  name: 'person-name',
  type: 'NAME',
  patterns: [
    {
      regex: new RegExp(`(?<!\\p{L})(?:${LABELS.join('|')})[ \\t]*[:#-][ \\t]*(?<value>${NAME})`, 'dgu'),
      score: 0.7,
    },
    {
      regex: new RegExp(
        `(?<!\\p{L})(?:Mr|Mrs|Ms|Miss|Dr|Prof)\\.?[ ]+(?<value>${WORD}(?:[ ]+(?!${STOP})${WORD}){0,2})`,
        'dgu',
      ),
      score: 0.6,
    },
  ],
  find: findCuedNames,
  baseScore: 0.6,
  contextWords: [],
  contextBoost: 0,
};
