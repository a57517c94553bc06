import { describe, expect, it } from "vitest";
import { mapNativeError } from "../../../src/bindings/loadAddon.js";
import { IitError, ModelLoadError, type IitErrorCode } from "../../../src/index.js";

/** What the addon throws (native/src/addon/errors.h): an Error with a `code` property. */
function nativeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("mapNativeError", () => {
  it("turns a coded native error into its typed error and keeps the original as cause", () => {
    const native = nativeError("GGUF_TRUNCATED", "m.gguf is truncated");
    const e = mapNativeError(native);
    expect(e).toBeInstanceOf(ModelLoadError);
    const code: IitErrorCode = (e as IitError).code;
    expect(code).toBe("GGUF_TRUNCATED");
    expect((e as Error).message).toBe("m.gguf is truncated");
    expect((e as Error).cause).toBe(native);
  });

  it("keeps the cause of an unknown code too", () => {
    const native = nativeError("SOMETHING_NEW", "x");
    const e = mapNativeError(native) as IitError;
    expect(e).toBeInstanceOf(IitError);
    expect(e.cause).toBe(native);
  });
});
