// Issue 25 item 14: a UTF-8 byte-order mark (what Windows editors write) is accepted by every reader, as train does.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");
const BOM = "\uFEFF";

describe.skipIf(skip)("a UTF-8 BOM is accepted everywhere (real processes)", () => {
  const dir = tempDir();
  const gen = ["generate", "-m", storiesModel, "--template", "raw", "-n", "4", "-t", "1"];

  it("generate: a JSONL or JSON-array prompt file, an existing output and a rules file with a BOM", () => {
    for (const [name, text] of [
      ["p.jsonl", `${BOM}{"instruction": "Lily"}\n{"instruction": "Tom"}\n`],
      ["p.json", `${BOM}[{"instruction": "Lily"}, {"instruction": "Tom"}]`],
    ]) {
      writeFileSync(join(dir, name), text);
      const out = join(dir, `${name}.out.json`);
      const r = iit([...gen, "-i", join(dir, name), "-o", out, "--json"]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(r.json()).toMatchObject({ generated: 2 });
      // the output as an editor would save it back: the resume reads it and keeps both rows
      writeFileSync(out, BOM + readFileSync(out, "utf8"));
      const again = iit([...gen, "-i", join(dir, name), "-o", out, "--json"]);
      expect(again.code, `${name} resume: ${again.stderr}`).toBe(0);
      expect(again.json()).toMatchObject({ generated: 0, skipped: 2 });
    }
    const rules = join(dir, "rules.json");
    writeFileSync(rules, `${BOM}{"eos": {"slope": 0.06}}`);
    const r = iit([...gen, "-p", "Lily", "--rules", rules]);
    expect(r.code, r.stderr).toBe(0);
  });

  it("winrate reads annotations and experiment run --dry-run reads a config with a BOM", () => {
    const ann = join(dir, "ann.json");
    const row = (preference: number) => ({
      instruction: "x",
      output_1: "a",
      generator_1: "ref",
      output_2: "b",
      generator_2: "m",
      annotator: "t",
      preference,
    });
    writeFileSync(ann, BOM + JSON.stringify([row(2), row(1)]));
    const w = iit(["winrate", "--annotations", ann, "--json"]);
    expect(w.code, w.stderr).toBe(0);
    expect(w.json().win_rate).toBe(50);

    const config = join(dir, "exp.json");
    writeFileSync(join(dir, "i.jsonl"), '{"instruction": "Lily"}\n');
    writeFileSync(
      config,
      BOM +
        JSON.stringify({
          name: "exp",
          baseModel: storiesModel,
          output: "out",
          arms: [
            { name: "base", type: "base" },
            { name: "rules", type: "rules" },
          ],
          evaluation: { instructions: "i.jsonl", reference: "base", judge: storiesModel },
        }),
    );
    const d = iit(["experiment", "run", config, "--dry-run"]);
    expect(d.code, d.stderr).toBe(0);
  });
});
