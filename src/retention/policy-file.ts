/**
 * A retention policy file (`--policy FILE`): YAML with the keys of
 * RetentionPolicy, checked as the library checks the option, and every
 * mistake named with the file.
 *
 *   keepLatest: true
 *   deleteOrphanedTags: true
 *   protectDigests: [sha256:…]
 *   rules:
 *     - name: ci
 *       repositories: ["ci/**"]
 *       keepLast: 10
 *       olderThan: 14d
 *       deleteTags: ['build-\d+', 'pr-\d+']
 */
import fs from 'node:fs';
import path from 'node:path';
import { yamlParser } from '../dependencies.js';
import { RegistryGcError } from '../report/errors.js';
import { checkRetention, type RetentionPolicy } from './policy.js';

/** Reads and checks a policy file. Throws E_INVALID_OPTION naming the file and what is wrong in it. */
export function readRetentionPolicy(file: string, cwd: string = process.cwd()): RetentionPolicy {
  const absolute = path.resolve(cwd, file);
  const refuse = (why: string, cause?: unknown) => new RegistryGcError('E_INVALID_OPTION', `policy ${absolute}: ${why}`, [], { cause });
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw refuse(code === 'ENOENT' ? 'no such file' : `cannot read it: ${(error as Error).message}`, error);
  }
  let policy: unknown;
  try {
    policy = yamlParser().parse(text);
  } catch (error) {
    throw refuse(`not valid YAML: ${(error as Error).message}`, error);
  }
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) throw refuse('expected a mapping with rules (see the README, Retention)');
  // In a file, `olderThan: 30` is a days-or-hours mistake, not 30 milliseconds: a duration must say its unit.
  const rules = (policy as { rules?: unknown }).rules;
  if (Array.isArray(rules)) {
    rules.forEach((rule: unknown, i) => {
      const olderThan = (rule as { olderThan?: unknown } | null)?.olderThan;
      if (typeof olderThan === 'number') throw refuse(`rules[${i}].olderThan must be a duration with its unit, like "30d" or "720h", got ${olderThan}`);
    });
  }
  try {
    checkRetention(policy as RetentionPolicy);
  } catch (error) {
    throw refuse((error as Error).message.replace(/^retention[.:] ?/, ''), error);
  }
  return policy as RetentionPolicy;
}
