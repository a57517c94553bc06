const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  r: "\r",
  t: "\t",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "\n": "",
};

/**
 * Parses a Python list-of-strings literal such as `['1 cup flour', "baker's yeast"]`: the Kaggle recipes
 * CSV stores ingredient lists as Python reprs, which the paper's script reads with `eval`. Strings may
 * use either quote and Python's escapes. Throws SyntaxError naming the character position.
 */
export function parsePythonStringList(text: string): string[] {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at character ${i + 1}`);
  };
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const hex = (digits: number): string => {
    const h = text.slice(i, i + digits);
    if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(h)) fail(`bad \\x/\\u escape`);
    i += digits;
    return String.fromCodePoint(parseInt(h, 16));
  };
  const quoted = (): string => {
    const quote = text[i];
    if (quote !== "'" && quote !== '"') fail("expected a quoted string");
    i++;
    let s = "";
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text[i++];
      if (c === quote) return s;
      if (c !== "\\") {
        s += c;
        continue;
      }
      const e = text[i++] ?? fail("unterminated string");
      if (e in SIMPLE_ESCAPES) s += SIMPLE_ESCAPES[e];
      else if (e === "x") s += hex(2);
      else if (e === "u") s += hex(4);
      else if (e === "U") s += hex(8);
      else if (/[0-7]/.test(e)) {
        const oct = e + (/^[0-7]{0,2}/.exec(text.slice(i))?.[0] ?? "");
        i += oct.length - 1;
        s += String.fromCharCode(parseInt(oct, 8));
      } else s += "\\" + e; // Python keeps unknown escapes as written
    }
  };

  skipSpace();
  if (text[i] !== "[") fail('expected "["');
  i++;
  const out: string[] = [];
  skipSpace();
  while (text[i] !== "]") {
    out.push(quoted());
    skipSpace();
    if (text[i] === ",") {
      i++;
      skipSpace();
    } else if (text[i] !== "]") fail('expected "," or "]"');
  }
  i++;
  skipSpace();
  if (i < text.length) fail("unexpected text after the list");
  return out;
}
