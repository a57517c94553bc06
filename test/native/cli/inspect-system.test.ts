// `iit inspect --system` and the device line of generate / train / serve.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { startServe } from "../serve/proc.js";
import { skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

describe.skipIf(skipNoModel)("what runs where, on the CLI", () => {
  it("inspect --system --json lists the CPU backend and device with its memory", () => {
    const r = iit(["inspect", "--system", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const sys = r.json();
    expect(sys.build.backend).toBe("cpu");
    expect(sys.backends).toContain("CPU");
    expect(sys.devices).toContainEqual(expect.objectContaining({ name: "CPU", type: "cpu", backend: "CPU" }));
    expect(sys.devices.find((d: { type: string }) => d.type === "cpu").memoryTotal).toBeGreaterThan(0);
    expect(sys.model).toBeUndefined();
  });

  it("inspect --system --model says how many layers were offloaded, and where", () => {
    const r = iit(["inspect", "--system", "-m", storiesModel, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().model).toEqual({
      path: storiesModel,
      backend: "cpu",
      device: "CPU",
      layersOffloaded: 0,
      layers: 6,
    });
    const text = iit(["inspect", "--system", "-m", storiesModel]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^devices\n {2}CPU +cpu /m);
    expect(text.stdout).toContain("device CPU (cpu build), 0/6 layers offloaded");
  });

  it("inspect without --model or --system is a typed error", () => {
    const r = iit(["inspect"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--model/);
  });

  it("generate prints the device on one stderr line, and as a field with --json", () => {
    const text = iit([
      "generate",
      "-m",
      storiesModel,
      "-p",
      "Once upon a time",
      "--template",
      "raw",
      "-n",
      "4",
      "-t",
      "1",
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr.split("\n").filter((l) => l.startsWith("iit generate: device"))).toEqual([
      "iit generate: device CPU (cpu build), 0/6 layers offloaded",
    ]);
    const json = iit([
      "generate",
      "-m",
      storiesModel,
      "-p",
      "Once upon a time",
      "--template",
      "raw",
      "-n",
      "4",
      "-t",
      "1",
      "--json",
    ]);
    expect(json.code, json.stderr).toBe(0);
    expect(json.json().placement).toEqual({ backend: "cpu", device: "CPU", layersOffloaded: 0, layers: 6 });
  });

  it("train prints the device on stderr, and its --json result carries it", () => {
    const dir = tempDir();
    const data = join(dir, "d.jsonl");
    const rows = Array.from({ length: 4 }, (_, i) =>
      JSON.stringify({
        id: `r${i}`,
        messages: [
          { role: "user", content: `q${i}` },
          { role: "assistant", content: "Once upon a time" },
        ],
      }),
    );
    writeFileSync(data, rows.join("\n") + "\n");
    const args = [
      "train",
      "-m",
      storiesModel,
      "--data",
      data,
      "--mode",
      "instruction",
      "--epochs",
      "1",
      "--n-ctx",
      "256",
      "--lora-rank",
      "2",
      "-t",
      "1",
    ];
    const text = iit([...args, "-o", join(dir, "a.gguf")]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toContain("iit train: device CPU (cpu build), 0/6 layers offloaded");
    const json = iit([...args, "-o", join(dir, "b.gguf"), "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(json.json().placement).toEqual({ backend: "cpu", device: "CPU", layersOffloaded: 0, layers: 6 });
  });

  it("serve prints the device on stderr and in its --json line", async () => {
    const s = await startServe(["-m", storiesModel, "-t", "1"]);
    try {
      expect((s as unknown as { placement: unknown }).placement).toEqual({
        backend: "cpu",
        device: "CPU",
        layersOffloaded: 0,
        layers: 6,
      });
      expect(s.stderr()).toContain("iit serve: device CPU (cpu build), 0/6 layers offloaded");
    } finally {
      await s.stop();
    }
  });
});
