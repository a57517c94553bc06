import { describe, expect, it } from "vitest";
import {
  discoverCandidates,
  losingTokens,
  mergeCandidates,
  openingTokens,
} from "../../../../src/rules/fit/candidates.js";

const out = (pieces: string[], failAt: string | null) => {
  const text = pieces.join("");
  return { pieces, failAt: failAt === null ? null : text.indexOf(failAt) };
};

describe("candidate tokens from hand-made base outputs", () => {
  const outputs = [
    // a new turn after a right answer: the failure is at "<"
    out(["it", " is", " red", ".", "\n", "<", "user", ">", "\n", "what"], "<user>"),
    out(["Sisa", ".", "\n", "<", "user", ">"], "<user>"),
    // a question: the failure is at "what"
    out(["red", ".", " what", " is", " it", "?"], " what"),
    // a clean output: nothing to blame, but "red" is repeated
    out(["red", " and", "red"], null),
  ];

  it("ranks the tokens at the first failure by how many outputs fail there, then markers, then repeats", () => {
    const c = discoverCandidates(outputs, 8);
    expect(c.slice(0, 2)).toEqual([
      { text: "<", source: "first failure", count: 2 },
      { text: " what", source: "first failure", count: 1 },
    ]);
    const markers = c.filter((x) => x.source === "marker").map((x) => x.text);
    expect(markers).toEqual(expect.arrayContaining(["\n", ">", "?"]));
    expect(markers).not.toContain("<"); // already a first-failure candidate
    expect(c.find((x) => x.text === "red")).toEqual({ text: "red", source: "repeated", count: 1 });
    // only tokens with letters or markers count as repeats: "." never does
    expect(c.map((x) => x.text)).not.toContain(".");
  });

  it("the offset may fall inside a token, and a budget cuts the list", () => {
    const c = discoverCandidates([{ pieces: ["ab", "cd", "ef"], failAt: 3 }], 1);
    expect(c).toEqual([{ text: "cd", source: "first failure", count: 1 }]);
  });

  it("--candidates adds texts once, or restricts to them", () => {
    const found = discoverCandidates(outputs, 2);
    expect(mergeCandidates(found, ["<", "Q"], false).map((c) => [c.text, c.source])).toEqual([
      ["<", "first failure"],
      [" what", "first failure"],
      ["Q", "--candidates"],
    ]);
    expect(mergeCandidates(found, ["Q", "Q"], true)).toEqual([{ text: "Q", source: "--candidates", count: 0 }]);
  });
});

describe("tokens over-represented in the answers a judge prefers less", () => {
  const a = (text: string, verdict: "lost" | "won" | "tie") => ({
    pieces: text.split(/(?= )/),
    lost: verdict === "lost",
    won: verdict === "won",
  });

  it("ranks tokens of losing answers by how much more often they lose than win; ties and one-off tokens do not count", () => {
    const answers = [
      a("I think so . What", "lost"),
      a("I do not know . What", "lost"),
      a("I guess", "lost"),
      a("Paris is the capital .", "won"),
      a("It is red .", "won"),
      a("What a day", "tie"),
    ];
    const c = losingTokens(answers, 8);
    expect(c.map((x) => x.text)).toEqual(["I", " What"]); // " ." is in winners as often as in losers
    expect(c[0]).toEqual({ text: "I", source: "losing answers", count: 3 });
  });

  it("finds nothing when nothing lost", () => {
    expect(losingTokens([a("x y", "won"), a("x y", "tie")])).toEqual([]);
  });
});

describe("tokens that open passing answers", () => {
  const a = (text: string, passed: boolean) => ({ pieces: text.split(/(?= )/), passed });

  it("ranks first tokens by passing answers opened, when they open more passing than failing answers", () => {
    const answers = [
      a(" the kind is a fox .", true),
      a(" the friend is Zene .", true),
      a(" the colour is red .", true),
      a(" Sisa is red .", true),
      a(" Sisa is a fox .", true),
      a(" Sisa is green .", false),
      a(" Sisa asked: what", false),
      a(" Sisa is . user", false),
      a(" what is Sisa ?", false),
      a(" it", true), // one passing answer opened by " it": too few
    ];
    const c = openingTokens(answers, 2);
    // " Sisa" opens 2 passing answers but 3 of 4 failing ones: its share ratio is below 1
    expect(c).toEqual([{ text: " the", source: "opens passing answers", count: 3 }]);
  });

  it("skips leading blank tokens, and finds nothing when nothing passes twice", () => {
    expect(openingTokens([{ pieces: [" ", "\n", " red"], passed: true }, a(" red", true), a(" blue", false)])).toEqual([
      { text: " red", source: "opens passing answers", count: 2 },
    ]);
    expect(openingTokens([a(" red", true), a(" red", false), a(" blue", false)])).toEqual([]);
  });
});
