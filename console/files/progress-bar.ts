// The download progress bar of the console's `get`.

/** Bytes as B, KiB, MiB, GiB or TiB. */
export function humanSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** `[#####.....]  42%  1.2 GiB / 3.0 GiB` */
export function progressBar(done: number, total: number | undefined, width = 30): string {
  if (!total) return humanSize(done);
  const share = Math.min(1, done / total);
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${humanSize(done)} / ${humanSize(total)}`;
}
