/**
 * Durations as the registry's config writes them (Go's time.ParseDuration:
 * "168h", "1h30m", "1.5h", "300ms", "-1.5h" is refused), plus "d" for days,
 * which operators reach for and Go lacks. A bare number is refused: the
 * registry itself reads a bare number as nanoseconds, and a silent
 * misreading of an age is how uploads in progress get deleted.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/y;

/** Parses a duration into milliseconds; returns undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const input = text.trim();
  if (input === '0') return 0;
  if (input === '' || input.startsWith('-')) return undefined;
  const body = input.startsWith('+') ? input.slice(1) : input;
  let total = 0;
  PART.lastIndex = 0;
  let consumed = 0;
  for (let match = PART.exec(body); match; match = PART.exec(body)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed = PART.lastIndex;
  }
  return consumed === body.length && consumed > 0 ? total : undefined;
}

/** Units a duration is written in, largest first. */
const WRITTEN: ReadonlyArray<[string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/**
 * A duration in milliseconds in the largest unit that holds it whole, as an
 * operator writes one: "7d", "90m", "1s", "250ms" (168h prints as "7d", the
 * same time). parseDuration reads it back to the same value.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0';
  const whole = Math.round(ms);
  const [unit, size] = WRITTEN.find(([, size]) => whole % size === 0)!;
  return `${whole / size}${unit}`;
}
