/** How far a download is. */
export interface DownloadProgress {
  /** Bytes on disk so far (resumed bytes included). */
  downloadedBytes: number;
  totalBytes: number;
}

/** One line on stderr when a download starts and one when it ends; a live percentage between them on a terminal. */
export function stderrProgress(uri: string, directory: string) {
  let started = false;
  let shownPct = -1;
  const mb = (n: number) => (n / 1e6).toFixed(n < 1e8 ? 1 : 0);
  return {
    update: (p: DownloadProgress) => {
      if (!started) {
        started = true;
        process.stderr.write(`downloading ${uri} (${mb(p.totalBytes)} MB) into ${directory}\n`);
      }
      const pct = p.totalBytes > 0 ? Math.floor((100 * p.downloadedBytes) / p.totalBytes) : 0;
      if (process.stderr.isTTY && pct !== shownPct) {
        shownPct = pct;
        process.stderr.write(`\r  ${pct}%  ${mb(p.downloadedBytes)}/${mb(p.totalBytes)} MB`);
      }
    },
    done: (path: string) => {
      if (started) process.stderr.write(`${process.stderr.isTTY ? "\n" : ""}downloaded ${path}\n`);
    },
  };
}
