import cliProgress from "cli-progress";

/** A progress bar on stderr (rate and ETA); silent when stderr is not a terminal or with --json. */
export function progressBar(total: number, unit: string, quiet = false) {
  if (quiet || !process.stderr.isTTY) {
    return { tick: (_n = 1, _payload?: Record<string, unknown>) => {}, stop: () => {} };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `{bar} {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted} {info}`,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const t0 = Date.now();
  let value = 0;
  bar.start(total, 0, { rate: "0.0", info: "" });
  return {
    tick: (n = 1, payload: Record<string, unknown> = {}) => {
      value += n;
      bar.update(value, { rate: (value / Math.max((Date.now() - t0) / 1000, 1e-3)).toFixed(1), info: "", ...payload });
    },
    stop: () => bar.stop(),
  };
}

/** onLoadProgress for loadModel(): a bar of the loaded percentage while a model loads (none when quiet or not a TTY). */
export function loadProgressBar(quiet = false): ((fraction: number) => void) | undefined {
  if (quiet || !process.stderr.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: "loading model {bar} {percentage}%", hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return (fraction) => {
    if (!started) bar.start(100, 0);
    started = true;
    bar.update(Math.round(fraction * 100));
    if (fraction >= 1) bar.stop();
  };
}
