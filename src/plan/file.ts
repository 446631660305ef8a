/**
 * Reading a plan file: parsePlan() checks that a value read from disk is a
 * plan this version can apply, with valid fields and items, unchanged since
 * it was written (its fingerprint matches its content), and listing only what
 * its own options produce. A plan is input from outside the process, so
 * nothing in it is trusted before these checks pass.
 */
import path from 'node:path';
import { isDigest } from '../registry/digest.js';
import { RegistryGcError, type Problem } from '../report/errors.js';
import { isRepositoryName } from '../registry/names.js';
import { fingerprintCategories, planSha256 } from './fingerprint.js';
import { KINDS, type ItemField } from '../report/kinds.js';
import { invalidOption } from './options.js';
import { PLAN_CATEGORIES, PLAN_FORMAT, PLAN_FORMAT_VERSION, type Plan, type PlanCategory, type PlanItems } from './types.js';

/** Every refusal of a plan is E_INVALID_PLAN: a usage error (the CLI exits 2), not a failed run. */
export function invalidPlan(message: string, problems: Problem[] = []): RegistryGcError {
  return new RegistryGcError('E_INVALID_PLAN', message, problems);
}

type Fields = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isPlainComponent = (value: unknown): value is string =>
  typeof value === 'string' && value !== '' && value !== '.' && value !== '..' && !/[/\\\0]/.test(value);

/** The check of each field an item can have; `reason` is checked against its kind's reasons. */
const FIELD_CHECKS: Readonly<Record<Exclude<ItemField, 'reason'>, (value: unknown) => boolean>> = {
  repository: (v) => typeof v === 'string' && isRepositoryName(v),
  digest: isDigest,
  tag: isPlainComponent,
  id: isPlainComponent,
  startedAt: (v) => typeof v === 'string',
  size: isCount,
  rule: (v) => typeof v === 'string' && v !== '',
};

/** The fields of a category's items: those of its identity and of its fingerprint line. */
function fieldsOf(category: PlanCategory): ItemField[] {
  return [...new Set([...KINDS[category].identity, ...KINDS[category].fingerprint])];
}

function validField(category: PlanCategory, field: ItemField, value: unknown): boolean {
  if (field === 'reason') return typeof value === 'string' && KINDS[category].reasons.includes(value);
  return FIELD_CHECKS[field](value);
}

function checkItems(value: unknown): PlanItems {
  if (!isObject(value)) throw invalidPlan('the plan has no items object');
  const problems: Problem[] = [];
  for (const category of PLAN_CATEGORIES) {
    // A plan of 0.1.0 has no tags: it deletes none.
    const list = category === 'tags' && value[category] === undefined ? [] : value[category];
    if (!Array.isArray(list)) {
      problems.push({ code: 'plan_invalid', path: `items.${category}`, message: 'not a list' });
      continue;
    }
    // Made once per category, and each item's path only for a problem: a plan holds ~150,000 items.
    const fields = fieldsOf(category);
    list.forEach((item: unknown, index) => {
      if (!isObject(item)) {
        problems.push({ code: 'plan_invalid', path: `items.${category}[${index}]`, message: 'not an object' });
        return;
      }
      for (const field of fields) {
        if (!validField(category, field, item[field])) problems.push({ code: 'plan_invalid', path: `items.${category}[${index}].${field}`, message: `invalid value ${JSON.stringify(item[field])?.slice(0, 80)}` });
      }
    });
  }
  if (problems.length > 0) throw invalidPlan(`the plan's items are not valid (${problems.length} problems)`, problems.slice(0, 100));
  return { ...value, tags: value['tags'] ?? [] } as unknown as PlanItems;
}

/**
 * Checks that `value` is a plan this version can apply, unchanged since it
 * was written (its fingerprint matches its content). Throws E_INVALID_PLAN.
 */
export function parsePlan(value: unknown): Plan {
  if (!isObject(value) || value['format'] !== PLAN_FORMAT) throw invalidPlan(`not a registry-gc plan (no "format": "${PLAN_FORMAT}")`);
  if (value['formatVersion'] !== PLAN_FORMAT_VERSION) {
    throw invalidPlan(`plan format version ${JSON.stringify(value['formatVersion'])} is not supported (this registry-gc reads version ${PLAN_FORMAT_VERSION})`);
  }
  const { root, createdAt, registryGcVersion, options, scanned, fingerprint } = value as Record<string, unknown>;
  if (typeof root !== 'string' || !path.isAbsolute(root)) throw invalidPlan('the plan names no absolute root');
  if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt))) throw invalidPlan('the plan has no valid createdAt');
  if (typeof registryGcVersion !== 'string') throw invalidPlan('the plan has no registryGcVersion');
  const storage = (value as Record<string, unknown>)['storage'];
  if (storage !== undefined && !(isObject(storage) && storage['driver'] === 's3' && typeof storage['bucket'] === 'string')) throw invalidPlan('the plan\'s storage is not valid');
  if (!isObject(options)) throw invalidPlan('the plan\'s options are not valid');
  const badOption = invalidOption(options);
  if (badOption !== undefined) throw invalidPlan(`the plan's options are not valid (${badOption})`);
  if (!isObject(scanned) || !['repositories', 'tags', 'manifests', 'blobs', 'markedDigests'].every((k) => isCount(scanned[k]))) {
    throw invalidPlan('the plan\'s scanned counts are not valid');
  }
  const items = checkItems(value['items']);
  if (!isObject(fingerprint) || !isObject(fingerprint['categories']) || typeof fingerprint['sha256'] !== 'string') throw invalidPlan('the plan has no fingerprint');
  const plan = { ...value, items } as unknown as Plan;

  // The fingerprint must match the content: anything else is a damaged or edited file.
  const categories = fingerprintCategories(items);
  const mismatched = PLAN_CATEGORIES.filter((c) => {
    const recorded = (fingerprint['categories'] as Fields)[c];
    if (c === 'tags' && recorded === undefined && categories.tags.count === 0) return false;
    return !isObject(recorded) || recorded['count'] !== categories[c].count || recorded['sha256'] !== categories[c].sha256;
  });
  if (mismatched.length > 0) {
    throw invalidPlan(`the plan's items do not match its fingerprint (${mismatched.join(', ')}): the file was changed or damaged after it was written`);
  }
  if (planSha256(plan, categories) !== fingerprint['sha256']) {
    throw invalidPlan('the plan does not match its fingerprint: its root, time, options or counts were changed after it was written');
  }
  // A plan can only list what its own options produce.
  if (!plan.options.deleteUntagged && items.manifests.length > 0) throw invalidPlan('the plan lists manifests but was made without deleteUntagged');
  if (!plan.options.removeEmptyRepositories && items.repositories.length > 0) throw invalidPlan('the plan lists repositories but was made without removeEmptyRepositories');
  if (plan.options.retention === undefined && items.tags.length > 0) throw invalidPlan('the plan lists tags but was made without retention');
  if (plan.options.keepUploads && items.uploads.length > 0) throw invalidPlan('the plan lists uploads but was made with keepUploads');
  return plan;
}
