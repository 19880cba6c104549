import nlp from 'compromise/two';
import type { Recognizer, RecognizerMatch } from './recognizer.js';

/**
 * Scores. A tagger's guess alone stays under the default threshold (0.5): it takes a full name *and*
 * a context word (0.35 + 0.2 = 0.55) to be reported. A single word tops out at 0.4, so it is only
 * reported for a tenant that asks for it (minScore ≤ 0.4). Every score stays under person-name's 0.6
 * (title) and 0.7 (label), so where both find the same name the cue-based finding wins the overlap.
 */
const FULL_NAME_SCORE = 0.35;
const SINGLE_NAME_SCORE = 0.2;
const CONTEXT_BOOST = 0.2;

/** The part of compromise's `json({ offset: true })` this recognizer reads. */
interface TaggedTerm {
  readonly text: string;
  readonly post: string;
  readonly tags: readonly string[];
  readonly offset: { readonly start: number; readonly length: number };
}

const NAME_TAGS = ['FirstName', 'LastName', 'MaleName', 'FemaleName'];
const LEXICON_NAME_TAGS = new Set([...NAME_TAGS, 'Person']);

/**
 * Given names and surnames that are also ordinary words or places (compromise's lexicon files many of
 * them as names). Never reported alone, and never taken from lower-case text.
 */
const COMMON_WORDS = new Set([
  ...['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september'],
  ...['october', 'november', 'december', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep'],
  ...['sept', 'oct', 'nov', 'dec', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
  ...['saturday', 'sunday', 'will', 'bill', 'mark', 'grace', 'chase', 'sue', 'pat', 'rob', 'bob'],
  ...['jack', 'frank', 'art', 'guy', 'ray', 'gene', 'don', 'dean', 'drew', 'hope', 'joy', 'faith'],
  ...['rose', 'dawn', 'summer', 'iris', 'lily', 'ruby', 'amber', 'crystal', 'penny', 'sandy'],
  ...['max', 'miles', 'rich', 'page', 'price', 'cash', 'king', 'young', 'white', 'brown', 'green'],
  ...['black', 'gray', 'grey', 'hall', 'wood', 'stone', 'bell', 'cook', 'park', 'lane', 'long'],
  // US places that are also given names ("Austin, TX").
  ...['austin', 'dallas', 'houston', 'jackson', 'charlotte', 'madison', 'florence', 'georgia'],
  ...['virginia', 'carolina', 'savannah', 'aurora', 'phoenix', 'paris', 'sydney', 'chelsea'],
]);

/** Words in or after a name that make it a street, a company or an institution ("Morgan Stanley Bank"). */
const NOT_A_PERSON_AFTER = new Set([
  ...['street', 'st', 'avenue', 'ave', 'road', 'rd', 'lane', 'ln', 'drive', 'dr', 'blvd', 'boulevard'],
  ...['court', 'ct', 'way', 'place', 'square', 'park', 'corp', 'corporation', 'inc', 'llc', 'ltd'],
  ...['co', 'company', 'bank', 'group', 'hospital', 'clinic', 'university', 'college', 'school'],
  ...['foundation', 'insurance', 'partners', 'associates', 'holdings', 'trust', 'center', 'centre'],
  '&',
]);

const lexicon = (nlp.model() as { one: { lexicon: Record<string, string | readonly string[]> } }).one.lexicon;

function lexiconTags(word: string): readonly string[] {
  const entry = lexicon[word.toLowerCase()];
  if (entry === undefined) return [];
  return typeof entry === 'string' ? entry.split(',') : entry;
}

const has = (term: TaggedTerm, tags: readonly string[]) => tags.some((t) => term.tags.includes(t));
/** Without possessive 's, which compromise keeps on the term. */
const bare = (term: TaggedTerm) => term.text.replace(/['’]s$/i, '');
const isLexiconName = (term: TaggedTerm) => lexiconTags(bare(term)).some((t) => LEXICON_NAME_TAGS.has(t));
/** A word that is something else first: a month, a verb, a common noun, or a name that is also a word. */
function isAmbiguous(term: TaggedTerm): boolean {
  const word = bare(term).toLowerCase();
  if (COMMON_WORDS.has(word)) return true;
  const tags = lexiconTags(word);
  return tags.length > 0 && !tags.some((t) => LEXICON_NAME_TAGS.has(t));
}
/** Tagged as a person here, but the word is not a name anywhere else ("Use" in "Grace Fischer Use"). */
const isWeak = (term: TaggedTerm) => !has(term, NAME_TAGS) && isAmbiguous(term);
const isInstitutionWord = (term: TaggedTerm) =>
  has(term, ['Organization', 'Place', 'Address']) || NOT_A_PERSON_AFTER.has(bare(term).toLowerCase());
const isCapitalised = (term: TaggedTerm) => /^\p{Lu}/u.test(term.text);

/** Two tagged terms belong to one name when only spaces (or a hyphen, or an initial's dot) part them. */
function joins(term: TaggedTerm): boolean {
  if (/^[ \t]+$/.test(term.post) || term.post === '-') return true;
  return /^\p{Lu}$/u.test(term.text) && /^\.[ \t]*$/.test(term.post);
}

/** The name in a run of person-tagged terms, trimmed of titles and weak ends, or nothing. */
function nameIn(run: readonly TaggedTerm[], next: TaggedTerm | undefined): RecognizerMatch | undefined {
  let terms = run.filter((t) => !t.tags.includes('Honorific'));
  while (terms.length > 0 && isWeak(terms[terms.length - 1] as TaggedTerm)) terms = terms.slice(0, -1);
  // A weak first word stays when a surname follows: "Will Smith", "April Jones".
  const [first, second] = terms;
  if (first && isWeak(first) && !(second?.tags.includes('LastName') ?? false)) terms = terms.slice(1);
  const head = terms[0];
  const tail = terms[terms.length - 1];
  if (!head || !tail) return undefined;
  // compromise may tag the suffix as part of the person ("Morgan Stanley Bank"), so look inside too.
  if ([...terms, ...(next ? [next] : [])].some(isInstitutionWord)) return undefined;
  // Lower-case text has no capital to go by: only names the lexicon knows, and none that is also a word.
  if (!terms.every(isCapitalised) && !terms.every((t) => isLexiconName(t) && !isAmbiguous(t)))
    return undefined;
  // One word alone needs to be a plain name: not a word, not an initial, not an ALL-CAPS code ("TY-0122").
  if (
    terms.length === 1 &&
    (isAmbiguous(head) || !/^\p{Lu}?\p{Ll}+/u.test(bare(head)) || bare(head).length < 2)
  )
    return undefined;
  return {
    start: head.offset.start,
    end: tail.offset.start + bare(tail).length,
    score: terms.length > 1 ? FULL_NAME_SCORE : SINGLE_NAME_SCORE,
  };
}

/**
 * Person names without a cue ("I spoke with Maria Gonzalez yesterday"), from compromise's
 * part-of-speech tagger and its built-in lexicon of given names and surnames (no model to download).
 * A companion to person-name.ts, which finds names after a label or a title: where both find a name,
 * that finding wins. Limits: a name the lexicon doesn't know is found only when the sentence shape
 * makes compromise guess a person; a company named after people ("Morgan Stanley") looks like a
 * person unless a suffix (Bank, Inc, Street…) follows.
 */
export const personNameNlpRecognizer: Recognizer = {
  name: 'person-name-nlp',
  type: 'NAME',
  patterns: [],
  find(text) {
    const out: RecognizerMatch[] = [];
    const sentences = nlp(text).json({ offset: true }) as { terms: TaggedTerm[] }[];
    for (const { terms } of sentences) {
      let run: TaggedTerm[] = [];
      terms.forEach((term, i) => {
        const person = term.tags.includes('Person') && !has(term, ['Organization', 'Place']);
        if (person) run.push(term);
        if (run.length > 0 && (!person || !joins(term))) {
          const name = nameIn(run, person ? undefined : term);
          if (name) out.push(name);
          run = [];
        }
        if (i === terms.length - 1 && run.length > 0) {
          const name = nameIn(run, undefined);
          if (name) out.push(name);
        }
      });
    }
    return out;
  },
  baseScore: SINGLE_NAME_SCORE,
  contextWords: [
    ...['spoke with', 'spoke to', 'speak with', 'speak to', 'talked to', 'talked with', 'met with'],
    ...['meeting with', 'signed by', 'approved by', 'reviewed by', 'prepared by', 'submitted by'],
    ...['referred by', 'on behalf of', 'dear', 'hi', 'hello', 'contact', 'attn', 'attention'],
    ...['regards', 'sincerely', 'thanks', 'thank you', 'ask for', 'called', 'said', 'wrote', 'told'],
    ...['asked', 'emailed', 'phoned', 'husband', 'wife', 'son', 'daughter', 'mother', 'father'],
    ...['client', 'customer', 'patient', 'colleague', 'manager', 'adjuster', 'agent', 'witness'],
  ],
  contextBoost: CONTEXT_BOOST,
};
