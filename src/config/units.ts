// Disk sizes as rch's config states them (GB, meaning GiB, fractions allowed) and as the worker
// programs count them (kB = 1024 bytes, what df -Pk and du -sk print).

const KB_PER_GB = 1024 * 1024;

export const gbToKb = (gb: number): number => Math.round(gb * KB_PER_GB);

/** "181 GB", "12.3 GB", "0.4 GB", "0.019 GB": two significant digits below 1 GB, so the small
 * disks of tests stay readable. */
export function formatKb(kb: number): string {
  const gb = kb / KB_PER_GB;
  if (gb >= 100) return `${Math.round(gb)} GB`;
  if (gb >= 1) return `${Number(gb.toFixed(1))} GB`;
  if (gb === 0) return "0 GB";
  return `${Number(gb.toPrecision(2))} GB`;
}
