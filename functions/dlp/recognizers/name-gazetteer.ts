/**
 * Given names and surnames from many cultures, offline: the people-names list of cspell
 * (`@cspell/dict-people-names`, MIT, about 39,000 entries, each a given name or surname confirmed as a
 * person's name; the list's rule is to include names "from all kinds of backgrounds and cultures").
 * Read once, on first use, so a process that never looks for names never pays for it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import nlp from 'compromise/two';

let names: ReadonlySet<string> | undefined;

function load(): ReadonlySet<string> {
  try {
    // The package exports only its cspell config; the word list sits beside it.
    const config = createRequire(import.meta.url).resolve('@cspell/dict-people-names');
    const text = readFileSync(join(dirname(config), 'dict', 'people-names.txt'), 'utf8');
    return new Set(
      text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#')),
    );
  } catch {
    // A bundle without the package (the Lambda runs Comprehend) finds names by cue words alone.
    return new Set();
  }
}

/** True when the capitalised word is a known given name or surname. */
export function isKnownName(word: string): boolean {
  names ??= load();
  return names.has(word);
}

const NAME_TAGS = new Set(['Person', 'FirstName', 'LastName', 'MaleName', 'FemaleName']);
const lexicon = (nlp.model() as { one: { lexicon: Record<string, string | readonly string[]> } }).one.lexicon;

/**
 * True when compromise's English lexicon files the word as something other than a name ("Service",
 * "Portal", "Care" are surnames in the list, but after "Customer" they are not people).
 */
export function isOrdinaryWord(word: string): boolean {
  const entry = lexicon[word.toLowerCase()];
  if (entry === undefined) return false;
  const tags = typeof entry === 'string' ? [entry] : entry;
  return !tags.some((t) => NAME_TAGS.has(t));
}
