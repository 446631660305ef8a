/**
 * Tag retention (spec §9, issue 14): the policy a run is given, and the same
 * checked once at the door. A policy is first-match rules per repository
 * glob; the command line's retention flags are one rule of it.
 *
 * Within its rule a tag is deleted when no keep rule holds and every given
 * delete condition holds (GitLab's semantics). A rule with neither (only
 * `repositories`) deletes nothing: it exempts the repositories it matches
 * from the rules after it.
 */
import { globMatcher } from '../dependencies.js';
import { isDigest, type Digest } from '../registry/digest.js';
import { parseDuration } from '../registry/duration.js';
import { RegistryGcError } from '../report/errors.js';

/** One rule: which repositories it scopes, and which of their tags may go. */
export interface RetentionRule {
  /** How `tags.deleted[].rule` names it. @default `rules[<index>]` */
  name?: string;
  /**
   * Repository names it applies to, as globs (picomatch: `*` stays within
   * one path component, `**` crosses them). The first rule whose globs
   * match a repository is its rule. @default every repository
   */
  repositories?: readonly string[];
  /** Keep the N most recently pushed tags of each repository. */
  keepLast?: number;
  /** Keep tags whose whole name matches one of these regular expressions. */
  keepTags?: readonly string[];
  /** Only tags pushed longer ago than this may go: a duration ("30d", "720h") or milliseconds. */
  olderThan?: string | number;
  /** Only tags whose whole name matches one of these regular expressions may go. */
  deleteTags?: readonly string[];
  /** Overrides the policy's `deleteOrphanedTags` for the repositories this rule matches (false: their orphans stay). */
  deleteOrphanedTags?: boolean;
}

/** What `retention` takes: rules, and what no rule deletes. */
export interface RetentionPolicy {
  /** First match per repository. @default none: no tag is deleted by age or name */
  rules?: readonly RetentionRule[];
  /** The tag `latest` is never deleted by a rule. @default true */
  keepLatest?: boolean;
  /** Manifests never deleted, nor any tag that points at one (digests pulled by digest). @default none */
  protectDigests?: readonly string[];
  /**
   * Delete referrer tags (`sha256-<hex>`, `.sig`, `.att`, `.sbom`) whose
   * subject is no revision that stays in their repository: in every
   * repository, unless its rule says otherwise (RetentionRule.deleteOrphanedTags).
   * @default false
   */
  deleteOrphanedTags?: boolean;
}

/** A rule, checked. */
export interface CheckedRule {
  readonly name: string;
  readonly matches: (repository: string) => boolean;
  readonly keepLast: number | undefined;
  readonly keepTags: readonly RegExp[];
  /** Milliseconds. */
  readonly olderThan: number | undefined;
  readonly deleteTags: readonly RegExp[];
  /** Undefined: the policy's. */
  readonly deleteOrphanedTags: boolean | undefined;
  /** It has a keep rule or a delete condition: it may delete tags. */
  readonly active: boolean;
}

export interface CheckedRetention {
  /** The policy as given: what a plan records. */
  readonly source: RetentionPolicy;
  readonly rules: readonly CheckedRule[];
  readonly keepLatest: boolean;
  readonly protectDigests: ReadonlySet<Digest>;
  readonly deleteOrphanedTags: boolean;
  /** Some rule may delete a tag. */
  readonly selects: boolean;
  /** Orphaned referrer tags go in some repository (the policy's default, or a rule's). */
  readonly orphansAnywhere?: boolean;
}

/** The name of the one rule the command line's flags make (errors then name the flags). */
export const COMMAND_LINE_RULE = 'command-line';

const RULE_KEYS = ['name', 'repositories', 'keepLast', 'keepTags', 'olderThan', 'deleteTags', 'deleteOrphanedTags'];
const POLICY_KEYS = ['rules', 'keepLatest', 'protectDigests', 'deleteOrphanedTags'];

function invalid(message: string): RegistryGcError {
  return new RegistryGcError('E_INVALID_OPTION', message);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function strings(value: unknown, what: string): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) throw invalid(`${what} must be a list of non-empty strings`);
  return value as string[];
}

/** A regular expression that must match a tag's whole name. */
function wholeName(source: string, what: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (error) {
    throw invalid(`${what} must hold regular expressions; ${JSON.stringify(source)} is not one (${(error as Error).message})`);
  }
}

const everyRepository = (): boolean => true;

function checkRule(rule: unknown, index: number): CheckedRule {
  const place = `retention.rules[${index}]`;
  if (!isObject(rule)) throw invalid(`${place} must be an object`);
  const name = rule['name'] ?? `rules[${index}]`;
  if (typeof name !== 'string' || name === '') throw invalid(`${place}.name must be a non-empty string`);
  // The command line's rule speaks in option names, which the CLI turns into its flags.
  const key = (field: string) => (name === COMMAND_LINE_RULE ? field : `${place}.${field}`);
  for (const field of Object.keys(rule)) if (!RULE_KEYS.includes(field)) throw invalid(`${place}: unknown key ${JSON.stringify(field)}; a rule has ${RULE_KEYS.join(', ')}`);
  const globs = rule['repositories'] === undefined ? ['**'] : strings(rule['repositories'], key('repositories'));
  if (globs.length === 0) throw invalid(`${key('repositories')} must name at least one glob`);
  const keepLast = rule['keepLast'];
  if (keepLast !== undefined && (typeof keepLast !== 'number' || !Number.isInteger(keepLast) || keepLast < 0)) {
    throw invalid(`${key('keepLast')} must be a whole number of tags, got ${JSON.stringify(keepLast)}`);
  }
  const olderThanValue = rule['olderThan'];
  let olderThan: number | undefined;
  if (olderThanValue !== undefined) {
    olderThan = typeof olderThanValue === 'number' ? olderThanValue : typeof olderThanValue === 'string' ? parseDuration(olderThanValue) : undefined;
    if (olderThan === undefined || !Number.isFinite(olderThan) || olderThan < 0) throw invalid(`${key('olderThan')} must be a duration like "30d" or "720h", got ${JSON.stringify(olderThanValue)}`);
  }
  const orphans = rule['deleteOrphanedTags'];
  if (orphans !== undefined && typeof orphans !== 'boolean') throw invalid(`${key('deleteOrphanedTags')} must be true or false`);
  const keepTags = strings(rule['keepTags'], key('keepTags')).map((s) => wholeName(s, key('keepTags')));
  const deleteTags = strings(rule['deleteTags'], key('deleteTags')).map((s) => wholeName(s, key('deleteTags')));
  return {
    name,
    // Without globs a rule is for every repository: no matcher to load (dependencies.ts).
    matches: rule['repositories'] === undefined ? everyRepository : globMatcher()([...globs]),
    keepLast,
    keepTags,
    olderThan,
    deleteTags,
    deleteOrphanedTags: orphans,
    active: keepLast !== undefined || keepTags.length > 0 || olderThan !== undefined || deleteTags.length > 0,
  };
}

/** The policy checked; undefined when it deletes no tag at all. Throws E_INVALID_OPTION naming what is wrong. */
export function checkRetention(policy: RetentionPolicy | undefined): CheckedRetention | undefined {
  if (policy === undefined) return undefined;
  if (!isObject(policy)) throw invalid('retention must be an object');
  for (const field of Object.keys(policy)) if (!POLICY_KEYS.includes(field)) throw invalid(`retention: unknown key ${JSON.stringify(field)}; a policy has ${POLICY_KEYS.join(', ')}`);
  return checkPolicy(policy as RetentionPolicy);
}

function checkPolicy(policy: RetentionPolicy): CheckedRetention | undefined {
  const rulesValue: unknown = policy.rules ?? [];
  if (!Array.isArray(rulesValue)) throw invalid('retention.rules must be a list');
  const rules = rulesValue.map(checkRule);
  for (const key of ['keepLatest', 'deleteOrphanedTags'] as const) {
    if (policy[key] !== undefined && typeof policy[key] !== 'boolean') throw invalid(`${key} must be true or false`);
  }
  const protectDigests = strings(policy.protectDigests, 'protectDigests');
  for (const digest of protectDigests) if (!isDigest(digest)) throw invalid(`protectDigests must hold digests (sha256:<64 hex>); ${JSON.stringify(digest)} is not one`);
  const checked = {
    source: policy,
    rules,
    keepLatest: policy.keepLatest ?? true,
    protectDigests: new Set(protectDigests as Digest[]),
    deleteOrphanedTags: policy.deleteOrphanedTags ?? false,
    selects: rules.some((r) => r.active),
  };
  const orphans = checked.deleteOrphanedTags || rules.some((r) => r.deleteOrphanedTags === true);
  return checked.selects || orphans || checked.protectDigests.size > 0 ? { ...checked, orphansAnywhere: orphans } : undefined;
}

/** Whether orphaned referrer tags go in `repository`: its rule's word, else the policy's. */
export function orphansGo(retention: CheckedRetention, rule: CheckedRule | undefined): boolean {
  return rule?.deleteOrphanedTags ?? retention.deleteOrphanedTags;
}

/** The rule of a repository: the first whose globs match it. */
export function ruleOf(retention: CheckedRetention, repository: string): CheckedRule | undefined {
  return retention.rules.find((rule) => rule.matches(repository));
}
