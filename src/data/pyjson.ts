/**
 * JSON text exactly as Python's `json.dumps` writes it: ", " and ": " separators and `ensure_ascii`
 * (every character outside printable ASCII as a lowercase \uXXXX escape, astral ones as surrogate pairs).
 * Written this way, our JSONL files are byte-identical to the paper's, so they can be diffed against them.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return pyString(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "number":
      if (Number.isFinite(value)) return JSON.stringify(value);
      return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  }
  if (Array.isArray(value)) return "[" + value.map(pythonJsonDumps).join(", ") + "]";
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return "{" + entries.map(([k, v]) => `${pyString(k)}: ${pythonJsonDumps(v)}`).join(", ") + "}";
  }
  throw new TypeError(`cannot serialize a ${typeof value} as JSON`);
}

const SHORT: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

// No `u` flag on purpose: astral characters match as two UTF-16 units, as Python escapes them.
const ESCAPE = /[\\"]|[^\x20-\x7e]/g;

function pyString(s: string): string {
  return '"' + s.replace(ESCAPE, (c) => SHORT[c] ?? "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")) + '"';
}
