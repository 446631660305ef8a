/**
 * The retention flags of the command line, as the library's `retention`
 * option: `--keep-last`, `--keep-tags`, `--older-than`, `--delete-tags` and
 * `--repository` make one rule (named `command-line`); `--policy FILE`
 * reads rules from a file instead (the two are not mixed);
 * `--delete-orphaned-tags`, `--protect-digest` and `--no-keep-latest` go
 * with either. Mistakes are E_INVALID_OPTION naming the flag (exit 2).
 */
import { RegistryGcError } from '../report/errors.js';
import { readRetentionPolicy } from '../retention/policy-file.js';
import { COMMAND_LINE_RULE, type RetentionPolicy, type RetentionRule } from '../retention/policy.js';
import type { Values } from './common.js';

const RULE_FLAGS = ['keep-last', 'keep-tags', 'older-than', 'delete-tags'] as const;

/** Every retention flag: what apply takes from the plan instead. */
export const RETENTION_FLAGS = [...RULE_FLAGS, 'repository', 'policy', 'delete-orphaned-tags', 'protect-digest', 'no-keep-latest'] as const;

function usage(message: string): RegistryGcError {
  return new RegistryGcError('E_INVALID_OPTION', message);
}

/** Those of `flags` given on the command line, as typed (`--keep-last`). */
function given(values: Values, flags: readonly (keyof Values)[]): string[] {
  return flags.filter((flag) => values[flag] !== undefined).map((flag) => `--${flag}`);
}

/** The rule the flags make, or undefined when none is given. */
function ruleOfFlags(values: Values): RetentionRule | undefined {
  if (given(values, RULE_FLAGS).length === 0) {
    if (values.repository !== undefined) throw usage(`--repository scopes ${RULE_FLAGS.map((f) => `--${f}`).join(', ')}: give one of them`);
    return undefined;
  }
  let keepLast: number | undefined;
  if (values['keep-last'] !== undefined) {
    keepLast = Number(values['keep-last']);
    if (!/^\d+$/.test(values['keep-last'])) throw usage(`--keep-last must be a whole number of tags, got "${values['keep-last']}"`);
  }
  return {
    name: COMMAND_LINE_RULE,
    ...(values.repository === undefined ? {} : { repositories: values.repository }),
    ...(keepLast === undefined ? {} : { keepLast }),
    ...(values['keep-tags'] === undefined ? {} : { keepTags: values['keep-tags'] }),
    ...(values['older-than'] === undefined ? {} : { olderThan: values['older-than'] }),
    ...(values['delete-tags'] === undefined ? {} : { deleteTags: values['delete-tags'] }),
  };
}

/** The `retention` option of the flags; undefined when none is given. `cwd`: against which --policy resolves. */
export function retentionOfFlags(values: Values, cwd: string): RetentionPolicy | undefined {
  const rule = ruleOfFlags(values);
  if (rule !== undefined && values.policy !== undefined) {
    throw usage(`--policy and ${given(values, [...RULE_FLAGS, 'repository']).join(', ')} do not mix: put the rule in the policy file`);
  }
  const fromFile = values.policy === undefined ? undefined : readRetentionPolicy(values.policy, cwd);
  const orphans = values['delete-orphaned-tags'] === true;
  const protect = values['protect-digest'] ?? [];
  const noLatest = values['no-keep-latest'] === true;
  if (rule === undefined && fromFile === undefined && !orphans && protect.length === 0) {
    if (noLatest) throw usage('--no-keep-latest only changes what a retention rule keeps: give --keep-last, --keep-tags, --older-than, --delete-tags or --policy');
    return undefined;
  }
  const policy: RetentionPolicy = {
    ...fromFile,
    ...(rule === undefined ? {} : { rules: [rule] }),
    ...(orphans ? { deleteOrphanedTags: true } : {}),
    ...(protect.length === 0 ? {} : { protectDigests: [...(fromFile?.protectDigests ?? []), ...protect] }),
    ...(noLatest ? { keepLatest: false } : {}),
  };
  const deletes = (policy.rules ?? []).length > 0 || policy.deleteOrphanedTags === true;
  if (deletes && values['delete-untagged'] !== true) {
    const what = rule !== undefined ? given(values, RULE_FLAGS).join(', ') : fromFile !== undefined ? '--policy' : '--delete-orphaned-tags';
    throw usage(`${what} needs -m (--delete-untagged): deleting a tag frees nothing unless its untagged manifest goes too`);
  }
  return policy;
}
