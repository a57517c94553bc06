// Opens an HTML file in Debian's Chromium through playwright-core (never a downloaded browser).
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export const chromiumPath = process.env.IIT_CHROMIUM ?? "/usr/bin/chromium";
export const skipNoChromium = existsSync(chromiumPath)
  ? false
  : `Chromium not found at ${chromiumPath} (apt-get install chromium; .ci/run installs it)`;

export interface PageCheck {
  consoleErrors: string[];
  requests: string[];
  text: string;
  screenshot: string;
}

/** Loads a local file offline, collects console errors and every request made, and takes a full-page screenshot. */
export async function openInChromium(file: string, screenshotDir: string): Promise<PageCheck> {
  const { chromium } = await import("playwright-core");
  // A fresh profile directory each time (playwright takes it as launchPersistentContext's argument).
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "iit-chromium-")), {
    executablePath: chromiumPath,
    viewport: { width: 1200, height: 900 },
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    // biome-ignore lint/performance/useDomNodeTextContent: the text a reader sees, without hidden elements
    const text = await page.innerText("body");
    const screenshot = join(screenshotDir, "report.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    return { consoleErrors, requests, text, screenshot };
  } finally {
    await context.close();
  }
}
