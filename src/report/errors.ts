/**
 * One error class with a stable `code`, so callers branch on codes rather
 * than on message text. `problems` carries the machine-readable specifics
 * (for example every manifest that made marking uncertain).
 */
import type { Problem, Report } from './report.js';

export type { Problem } from './report.js';

/** The stable code of a RegistryGcError: branch on it, not on the message. */
export type ErrorCode =
  /** An option or argument is invalid. */
  | 'E_INVALID_OPTION'
  /** The root does not hold a `docker/registry/v2` tree. */
  | 'E_NOT_A_REGISTRY'
  /** Marking could not be sure; nothing was deleted. */
  | 'E_MARK_INCOMPLETE'
  /** A symbolic link was found where the collector would have to follow it. */
  | 'E_SYMLINK'
  /** A deletion target resolved outside `<root>/docker/registry/v2`. */
  | 'E_OUTSIDE_ROOT'
  /** Another collector holds the lock on this registry. */
  | 'E_LOCKED'
  /** The registry seems to be running (strict mode refuses to collect). */
  | 'E_REGISTRY_ACTIVE'
  /** The run was aborted through its AbortSignal. */
  | 'E_ABORTED'
  /** Reading or deleting failed with an unexpected file-system error. */
  | 'E_IO'
  /** A plan file is not a plan, was changed after it was written, or is for another registry. */
  | 'E_INVALID_PLAN';

/** The error registry-gc throws: a stable `code`, and the problems behind it. */
export class RegistryGcError extends Error {
  readonly code: ErrorCode;
  readonly problems: readonly Problem[];
  /** For E_ABORTED: what the run had done before it stopped. */
  readonly report: Report | undefined;

  constructor(code: ErrorCode, message: string, problems: readonly Problem[] = [], options?: { cause?: unknown; report?: Report }) {
    super(message, options);
    this.name = 'RegistryGcError';
    this.code = code;
    this.problems = problems;
    this.report = options?.report;
  }

  /** The code, message and problems, as `--json` output prints an error. */
  toJSON(): { code: ErrorCode; message: string; problems: readonly Problem[] } {
    return { code: this.code, message: this.message, problems: this.problems };
  }
}
