// Localized dates, sizes and durations through Intl (never hand-built).
const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** `1536` -> "1.5 kB" in the UI language (decimal units, as file managers show them). */
export function formatBytes(bytes: number, language: string): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return new Intl.NumberFormat(language, {
    style: 'unit',
    unit: UNITS[unit],
    unitDisplay: unit === 0 ? 'long' : 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}

/** Date and time of an epoch-milliseconds instant. */
export function formatDateTime(ms: number, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}

/** Date only (ISO string or epoch ms). */
export function formatDate(value: string | number, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'long' }).format(new Date(value));
}

/** Time of day only. */
export function formatTime(ms: number, language: string): string {
  return new Intl.DateTimeFormat(language, { timeStyle: 'medium' }).format(ms);
}

interface DurationFormatCtor {
  new (
    locale: string,
    options: { style: string; hoursDisplay?: string },
  ): { format(d: { hours?: number; minutes: number; seconds: number }): string };
}

/** A countdown or duration like "1:05" or "1 min, 5 s", localized where the browser can. */
export function formatDuration(
  ms: number,
  language: string,
  style: 'digital' | 'short' = 'digital',
): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const DurationFormat = (Intl as unknown as { DurationFormat?: DurationFormatCtor })
    .DurationFormat;
  if (DurationFormat !== undefined) {
    const parts = hours > 0 ? { hours, minutes, seconds } : { minutes, seconds };
    return new DurationFormat(language, { style, hoursDisplay: 'auto' }).format(parts);
  }
  const nf = new Intl.NumberFormat(language, { minimumIntegerDigits: 2 });
  const head = hours > 0 ? `${hours}:${nf.format(minutes)}` : `${minutes}`;
  return `${head}:${nf.format(seconds)}`;
}

/** Count with grouping, e.g. "12 345". */
export function formatCount(n: number, language: string): string {
  return new Intl.NumberFormat(language).format(n);
}
