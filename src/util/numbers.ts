// Numbers reach native code as 32-bit integers (int32_t; seeds as uint32_t) and 32-bit floats: a value
// outside their range would wrap around or become infinite there. Every boundary (CLI options, library
// options, HTTP bodies) checks against these.
import { InvalidOptionError } from "../errors.js";

export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;
export const UINT32_MAX = 2 ** 32 - 1;
/** The largest finite 32-bit float. */
export const FLOAT32_MAX = 3.4028234663852886e38;

export interface Range {
  min?: number;
  max?: number;
}

/** `value` if it is an integer in [min, max] (default: the int32 range), else INVALID_OPTION naming `name`. */
export function checkInt(value: number, name: string, { min = INT32_MIN, max = INT32_MAX }: Range = {}): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError("INVALID_OPTION", `${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** `value` if it is finite, within a 32-bit float and in [min, max], else INVALID_OPTION naming `name`. */
export function checkFloat32(
  value: number,
  name: string,
  { min = -FLOAT32_MAX, max = FLOAT32_MAX }: Range = {},
): number {
  if (!Number.isFinite(value) || value < Math.max(min, -FLOAT32_MAX) || value > Math.min(max, FLOAT32_MAX)) {
    const bound = (b: number) => (Math.abs(b) >= FLOAT32_MAX ? `${b < 0 ? "-" : ""}3.4e38` : String(b));
    const range =
      min <= -FLOAT32_MAX && max >= FLOAT32_MAX
        ? "a finite number within ±3.4e38 (a 32-bit float)"
        : `a number in [${bound(min)}, ${bound(max)}]`;
    throw new InvalidOptionError("INVALID_OPTION", `${name} must be ${range}, got ${value}`);
  }
  return value;
}
