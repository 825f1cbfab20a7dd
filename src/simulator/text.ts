// Deterministic text generation and token counting for the simulated models.

export const WORDS: readonly string[] = [
  'lighthouse',
  'keeper',
  'harbor',
  'lantern',
  'river',
  'meadow',
  'copper',
  'falcon',
  'orchard',
  'signal',
  'granite',
  'velvet',
  'compass',
  'ember',
  'glacier',
  'hollow',
  'island',
  'juniper',
  'kettle',
  'ladder',
  'marble',
  'nectar',
  'ocean',
  'pebble',
  'quartz',
  'ribbon',
  'saddle',
  'thistle',
  'umbrella',
  'valley',
  'willow',
  'yarrow',
  'zephyr',
  'anchor',
  'beacon',
  'canyon',
  'delta',
  'estuary',
  'fjord',
  'garnet',
  'heron',
  'inlet',
  'jasper',
  'kelp',
  'lagoon',
  'mariner',
  'north',
  'outpost',
  'pilot',
  'quiet',
  'reef',
  'sail',
  'tide',
  'upland',
  'voyage',
  'wharf',
  'coast',
  'storm',
  'morning',
  'evening',
  'the',
  'a',
  'of',
  'and',
  'to',
  'in',
  'with',
  'under',
  'over',
  'beyond',
  'bright',
  'distant',
  'gentle',
  'silver',
  'golden',
  'ancient',
  'hidden',
  'patient',
  'steady',
  'calm',
  'walks',
  'watches',
  'carries',
  'remembers',
  'gathers',
  'follows',
  'builds',
  'listens',
  'returns',
  'waits',
  'seven',
  'twelve',
  'forty',
  'many',
  'few',
  'every',
  'each',
  'some',
  'no',
  'all',
];

const PUNCTUATION = [',', ',', '.', '.', ';', ':', '!', '?'];

/** Every distinct token the free-text generator can emit: the pool logprob alternatives come from. */
export const VOCABULARY: readonly string[] = [
  ...WORDS.map((word) => ` ${word}`),
  ...new Set(PUNCTUATION),
];

const TOKEN_PATTERN = /[A-Za-z0-9]+|[^\sA-Za-z0-9]/g;

/** Tokens as the simulator counts them: runs of letters/digits, and each other non-space character. */
export function countTokens(text: string): number {
  return text.match(TOKEN_PATTERN)?.length ?? 0;
}

// `u` keeps astral characters whole, so no streamed piece holds half a surrogate pair.
const LEADING_SPACE_TOKEN = /\s*(?:[A-Za-z0-9]+|[^\sA-Za-z0-9])/gu;

/** countTokens' tokens (astral characters aside), each with the whitespace before it, as BPE tokenizers do. */
export function splitTokens(text: string): string[] {
  return text.match(LEADING_SPACE_TOKEN) ?? [];
}

/** FNV-1a, 32 bit, over UTF-16 code units: a stable seed from any string. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: a tiny seeded PRNG with good enough spread for fake text. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MIN_NATURAL_LENGTH = 24;
const MAX_NATURAL_LENGTH = 120;
/** Where generation ends when nothing else bounds it (ignore_eos on a model without a window). */
const MAX_GENERATED_TOKENS = 131_072;
/** What follows a finished structured output when EOS is ignored or min_tokens is not reached yet. */
const PADDING_TOKEN = '\n';

export interface GenerateOptions {
  maxTokens: number;
  stop: readonly string[];
  /** Keep generating past the natural end, up to maxTokens. */
  ignoreEos?: boolean;
  /** No natural end and no stop string before this many tokens, as vLLM does. */
  minTokens?: number;
  /** Fixed tokens to emit instead of random words (structured output); their end is the natural end. */
  script?: readonly string[] | null;
}

export interface Generation {
  /** The visible text of each generated token, in order; '' for tokens hidden by a stop string. */
  pieces: string[];
  text: string;
  finishReason: 'stop' | 'length';
  /** The stop string that ended the text, else null. */
  stopReason: string | null;
  completionTokens: number;
}

/**
 * Generates the text for one choice. The same key gives the same tokens, and a smaller
 * maxTokens gives a prefix of a larger one, because the length is drawn before the words.
 */
export function generate(key: string, options: GenerateOptions): Generation {
  const { maxTokens, stop, ignoreEos = false, minTokens = 0, script = null } = options;
  const random = mulberry32(fnv1a(key));
  const drawnLength =
    MIN_NATURAL_LENGTH + Math.floor(random() * (MAX_NATURAL_LENGTH - MIN_NATURAL_LENGTH + 1));
  const naturalLength = Math.max(script === null ? drawnLength : script.length, minTokens);
  const endOfText = ignoreEos ? Number.POSITIVE_INFINITY : naturalLength;
  const limit = Math.min(endOfText, maxTokens, MAX_GENERATED_TOKENS);
  const tokens: string[] = [];
  let text = '';
  let cut: { at: number; stop: string } | null = null;
  let previousWasWord = false;
  while (tokens.length < limit && cut === null) {
    let token: string;
    if (script !== null) {
      token = script[tokens.length] ?? PADDING_TOKEN;
    } else {
      const punctuate: boolean = previousWasWord && random() < 0.12;
      token = punctuate
        ? PUNCTUATION[Math.floor(random() * PUNCTUATION.length)]!
        : ` ${WORDS[Math.floor(random() * WORDS.length)]!}`;
      previousWasWord = !punctuate;
    }
    const searchFrom = text.length;
    tokens.push(token);
    text += token;
    if (tokens.length >= minTokens) cut = findStop(text, searchFrom, stop);
  }
  const visibleLength = cut === null ? text.length : cut.at;
  const pieces: string[] = [];
  let offset = 0;
  for (const token of tokens) {
    pieces.push(
      text.slice(Math.min(offset, visibleLength), Math.min(offset + token.length, visibleLength)),
    );
    offset += token.length;
  }
  return {
    pieces,
    text: text.slice(0, visibleLength),
    finishReason: cut !== null || endOfText <= maxTokens ? 'stop' : 'length',
    stopReason: cut?.stop ?? null,
    completionTokens: tokens.length,
  };
}

/** The stop string match that completes earliest once text grew past `grownFrom`, if any. */
function findStop(
  text: string,
  grownFrom: number,
  stop: readonly string[],
): { at: number; stop: string } | null {
  let best: { at: number; end: number; stop: string } | null = null;
  for (const candidate of stop) {
    if (candidate === '') continue;
    const at = text.indexOf(candidate, Math.max(0, grownFrom - candidate.length + 1));
    if (at === -1) continue;
    const end = at + candidate.length;
    if (best === null || end < best.end || (end === best.end && at < best.at))
      best = { at, end, stop: candidate };
  }
  return best === null ? null : { at: best.at, stop: best.stop };
}
