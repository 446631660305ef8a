/**
 * The options that decide what is garbage, listed once: a plan records
 * them, its fingerprint covers them in this order, a plan file is checked
 * against their kinds, apply runs with exactly them, and the command line
 * refuses the flags that would change them at apply time.
 */
import type { NormalizedOptions } from '../collect/options.js';
import { checkRetention, type RetentionPolicy } from '../retention/policy.js';
import type { PlanOptions } from './types.js';

type Check = 'boolean' | 'milliseconds' | 'positive';

interface DecidingOption {
  readonly name: keyof PlanOptions;
  /** Its command-line flag, where it has one. */
  readonly flag: string | undefined;
  readonly check: Check;
}

export const DECIDING_OPTIONS: readonly DecidingOption[] = [
  { name: 'deleteUntagged', flag: 'delete-untagged', check: 'boolean' },
  { name: 'pruneLayerLinks', flag: 'prune-layer-links', check: 'boolean' },
  { name: 'removeEmptyRepositories', flag: 'remove-empty-repositories', check: 'boolean' },
  { name: 'keepUploads', flag: 'keep-uploads', check: 'boolean' },
  { name: 'uploadAge', flag: 'upload-age', check: 'milliseconds' },
  { name: 'minAge', flag: 'min-age', check: 'milliseconds' },
  { name: 'maxManifestBytes', flag: undefined, check: 'positive' },
];

/** The deciding options of a run's (or a plan's) options, and nothing else. */
export function decidingOptionsOf(options: NormalizedOptions | PlanOptions): PlanOptions {
  const values = Object.fromEntries(DECIDING_OPTIONS.map(({ name }) => [name, options[name]])) as unknown as PlanOptions;
  // The policy as given (a run holds it checked, with its source): JSON, for the plan file.
  const retention = 'dryRun' in options ? options.retention?.source : options.retention;
  return retention === undefined ? values : { ...values, retention };
}

/** The values, in the fingerprint's order; the retention policy only where there is one (a plan of 0.1.0 has none). */
export function optionValues(options: PlanOptions): unknown[] {
  const values: unknown[] = DECIDING_OPTIONS.map(({ name }) => options[name]);
  return options.retention === undefined ? values : [...values, options.retention];
}

/** The option whose recorded value is not of its kind, if any. */
export function invalidOption(options: Readonly<Record<string, unknown>>): string | undefined {
  const valid: Record<Check, (value: unknown) => boolean> = {
    boolean: (v) => typeof v === 'boolean',
    milliseconds: (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0,
    positive: (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1,
  };
  const bad = DECIDING_OPTIONS.find(({ name, check }) => !valid[check](options[name]))?.name;
  if (bad !== undefined || options['retention'] === undefined) return bad;
  try {
    checkRetention(options['retention'] as RetentionPolicy);
    return undefined;
  } catch {
    return 'retention';
  }
}
