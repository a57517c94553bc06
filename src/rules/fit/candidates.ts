// The tokens worth a score, found in the base's own greedy dev outputs rather than typed by hand: the
// token at which each output first goes wrong (as the scorer sees it), template characters and
// questions, and tokens the base repeats within one answer.

/** One base output: the text of each generated token, in order, and where the scorer says it fails. */
export interface OutputPieces {
  pieces: string[];
  /** Character offset of the first failure in the joined pieces; null when it does not fail there. */
  failAt: number | null;
}

export type CandidateSource =
  | "first failure"
  | "first failure under rules"
  | "opens passing answers"
  | "losing answers"
  | "marker"
  | "repeated"
  | "--candidates";

export interface Candidate {
  text: string;
  source: CandidateSource;
  /** Outputs in which it was found (0 for --candidates). */
  count: number;
}

/** Template characters, questions and turn breaks: where a base's answer runs into a new turn. */
const MARKER = /^\s*[<>|?]|^\n+$/;

const bump = (m: Map<string, number>, t: string) => m.set(t, (m.get(t) ?? 0) + 1);
/** A token text worth a score: not empty, and not blank unless it holds a newline. */
const usable = (t: string) => t.length > 0 && (t.trim().length > 0 || t.includes("\n"));

/**
 * Candidates from base outputs: first the tokens at the first failure (most outputs first), then
 * marker tokens, then tokens repeated inside one output; each text once, ties in text order, at most
 * `max` in all. Whitespace-only tokens other than newlines are never candidates (they carry nothing).
 */
export function discoverCandidates(outputs: OutputPieces[], max = 8): Candidate[] {
  const failure = new Map<string, number>();
  const marker = new Map<string, number>();
  const repeated = new Map<string, number>();
  for (const o of outputs) {
    let at = 0;
    let blamed = false;
    const seen = new Set<string>();
    const twice = new Set<string>();
    const marks = new Set<string>();
    for (const p of o.pieces) {
      const end = at + p.length;
      // The failing token is the one whose text covers the offset (or the first that starts after it).
      if (!blamed && o.failAt !== null && end > o.failAt && usable(p)) {
        bump(failure, p);
        blamed = true;
      }
      if (usable(p) && MARKER.test(p)) marks.add(p);
      if (usable(p) && /[A-Za-z<>|?\n]/.test(p)) (seen.has(p) ? twice : seen).add(p);
      at = end;
    }
    for (const t of marks) bump(marker, t);
    for (const t of twice) bump(repeated, t);
  }
  const ranked = (m: Map<string, number>, source: CandidateSource): Candidate[] =>
    [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([text, count]) => ({ text, source, count }));
  const out: Candidate[] = [];
  for (const c of [...ranked(failure, "first failure"), ...ranked(marker, "marker"), ...ranked(repeated, "repeated")]) {
    if (out.length >= max) break;
    if (!out.some((x) => x.text === c.text)) out.push(c);
  }
  return out;
}

/** One judged answer: its token texts, and whether the judge preferred the other answer of its pair. */
export interface JudgedPieces {
  pieces: string[];
  lost: boolean;
  won: boolean;
}

/**
 * Per token, how many answers of the group hold it, and the share of the group's answers holding it over
 * the share of the others' (shares smoothed by one, so a token absent from the few others does not win by
 * division by zero).
 */
function shareRatios(answers: { tokens: Iterable<string>; inGroup: boolean }[]) {
  const group = new Map<string, number>();
  const others = new Map<string, number>();
  let nG = 0;
  let nO = 0;
  for (const a of answers) {
    a.inGroup ? nG++ : nO++;
    const m = a.inGroup ? group : others;
    for (const t of a.tokens) bump(m, t);
  }
  const ratio = (t: string) => ((group.get(t) ?? 0) + 1) / (nG + 2) / (((others.get(t) ?? 0) + 1) / (nO + 2));
  return { counts: group, ratio };
}

/**
 * Tokens over-represented in losing answers: found in at least two losing answers, and in a larger share
 * of the losing answers than of the winning ones. Ranked by that ratio, then by losing answers, then text.
 */
export function losingTokens(answers: JudgedPieces[], max = 8): Candidate[] {
  const { counts, ratio } = shareRatios(
    answers.filter((a) => a.lost || a.won).map((a) => ({ tokens: new Set(a.pieces.filter(usable)), inGroup: a.lost })),
  );
  return [...counts]
    .filter(([t, l]) => l >= 2 && ratio(t) > 1)
    .sort((a, b) => ratio(b[0]) - ratio(a[0]) || b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, max)
    .map(([text, count]) => ({ text, source: "losing answers" as const, count }));
}

/** One answer under the best rules so far: its token texts, and whether the scorer passes it. */
export interface PassedPieces {
  pieces: string[];
  passed: boolean;
}

/**
 * Tokens to raise, where vetoes find only tokens to lower: the first token of the passing answers, when
 * it opens a larger share of the passing answers than of the failing ones and at least two of them.
 * Ranked by passing answers opened, so a token that opens one creature's answers (its name) ranks below
 * one that opens answers about every creature; at most `max`. Where no such token qualifies, a dev
 * creature's name can (world 3 of the lab: "Ro", +1): the fit keeps it only if it raises dev.
 */
export function openingTokens(answers: PassedPieces[], max = 2): Candidate[] {
  const { counts, ratio } = shareRatios(
    answers.flatMap((a) => {
      const first = a.pieces.find((t) => t.trim().length > 0);
      return first === undefined ? [] : [{ tokens: [first], inGroup: a.passed }];
    }),
  );
  return [...counts]
    .filter(([t, n]) => n >= 2 && ratio(t) > 1)
    .sort((a, b) => b[1] - a[1] || ratio(b[0]) - ratio(a[0]) || (a[0] < b[0] ? -1 : 1))
    .slice(0, max)
    .map(([text, count]) => ({ text, source: "opens passing answers" as const, count }));
}

/** `--candidates FILE`: adds these texts, or with `only` keeps just them. */
export function mergeCandidates(found: Candidate[], given: string[] | undefined, only: boolean): Candidate[] {
  const extra = (given ?? []).map((text): Candidate => ({ text, source: "--candidates", count: 0 }));
  if (only) return extra.filter((c, i) => extra.findIndex((x) => x.text === c.text) === i);
  const out = [...found];
  for (const c of extra) if (!out.some((x) => x.text === c.text)) out.push(c);
  return out;
}
