/**
 * A user's mistakes on the command line get one short, exact message and
 * exit 2 (issue 13): the flag or command they typed, the nearest real one,
 * a pointer to --help instead of the whole help, and the flag or config key
 * an option came from instead of the library's option name.
 */
import { OPTIONS, type Io } from './common.js';

export const COMMANDS: readonly string[] = ['plan', 'apply', 'purge', 'restore'];

/**
 * What is wrong with the positional arguments of a plain run, when they are
 * not exactly one ROOT or CONFIG: an unknown command ("planx"), named with
 * the nearest real one, or their count.
 */
export function positionalsMessage(positionals: readonly string[], exists: (p: string) => boolean): string {
  const [first] = positionals;
  if (first === undefined) return 'expected a ROOT or CONFIG';
  if (/^[a-z][a-z-]*$/.test(first) && !exists(first)) {
    const meant = nearest(first, COMMANDS);
    return `unknown command "${first}"${meant === undefined ? '' : ` (did you mean ${meant}?)`}; the commands are ${COMMANDS.join(', ')}`;
  }
  return `expected exactly one ROOT or CONFIG, got ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(' ')}`;
}

const HELP = 'see registry-gc --help';

/** Writes the message and the pointer to --help; the exit code of a usage error. */
export function usageError(io: Io, message: string): number {
  io.stderr(`registry-gc: ${message}\n${HELP}\n`);
  return 2;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** The nearest of `candidates` to `typed`, when it is near enough to be what was meant. */
export function nearest(typed: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(typed, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(typed.length / 3)) ? best : undefined;
}


/** The message for an error of node:util's parseArgs: the option the user typed, and the nearest real one. */
export function parseErrorMessage(error: Error & { code?: string }): string {
  const unknown = /Unknown option '([^']+)'/.exec(error.message);
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const typed = unknown[1]!;
    const meant = typed.startsWith('--') ? nearest(typed, Object.keys(OPTIONS).map((name) => `--${name}`)) : undefined;
    return `unknown option ${typed}${meant === undefined ? '' : ` (did you mean ${meant}?)`}`;
  }
  const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(error.message);
  if (missing) return `${missing[1]} needs a value`;
  const notBoolean = /Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(error.message);
  if (notBoolean) return `${notBoolean[1]} takes no value`;
  return error.message.replace(/\. To specify a positional argument.*$/s, '');
}

/** Library option names as the flags a user types. */
const FLAG_OF: Readonly<Record<string, string>> = {
  uploadAge: '--upload-age',
  minAge: '--min-age',
  olderThan: '--older-than',
  concurrency: '--concurrency',
  keepUploads: '--keep-uploads',
  deleteUntagged: '--delete-untagged',
  pruneLayerLinks: '--prune-layer-links',
  removeEmptyRepositories: '--remove-empty-repositories',
  keepLast: '--keep-last',
  keepTags: '--keep-tags',
  deleteTags: '--delete-tags',
  repositories: '--repository',
  protectDigests: '--protect-digest',
};

/** A library message that starts with an option name, with the flag instead. */
export function inFlagTerms(message: string): string {
  return message.replace(/^(\w+)(?= must| is )/, (name) => FLAG_OF[name] ?? name);
}
