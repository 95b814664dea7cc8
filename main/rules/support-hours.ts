// Support hours are local times in the time zone the rules name; the machine's
// own zone does not matter. Intl gives the weekday and wall-clock time there.
import type { SupportHours } from '../../protocol/ground-rules';

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Throws RangeError for an unknown zone: the rules schema cannot check IANA names.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** True when the time zone is one Intl knows. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** True when `at` (ms since epoch) falls inside the support hours; an unknown zone is never inside. */
export function withinSupportHours(hours: SupportHours, at: number): boolean {
  if (!isKnownTimeZone(hours.timeZone)) return false;
  const parts = formatterFor(hours.timeZone).formatToParts(new Date(at));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  const day = WEEKDAYS[get('weekday')];
  if (day === undefined || !hours.days.includes(day)) return false;
  const minute = Number(get('hour')) * 60 + Number(get('minute'));
  return minute >= minutesOf(hours.start) && minute < minutesOf(hours.end);
}
