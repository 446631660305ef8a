/**
 * The format of the offline goldens in fixtures/reference/ (written by
 * scripts/record-fixtures.ts, read by test/goldens.test.ts): per scenario, the
 * registry root the real registry wrote (`<scenario>/`) and `<scenario>.json`.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Divergence } from './gc-model.js';
import type { ReferenceManifest } from './reference-gc.js';
import type { ScenarioExpectations, ScenarioState } from './scenarios.js';

export const GOLDEN_DIR = resolve(fileURLToPath(new URL('../fixtures/reference', import.meta.url)));

/** The clock `startedat` is written against in recordings; the goldens test rewrites it against its own. */
export const UPLOAD_CLOCK = '2000-01-31T00:00:00Z';

export interface Golden {
  scenario: string;
  description: string;
  /** `docker-registry --version` of the recording. */
  recordedWith: string;
  uploadClock: string;
  /** Folders the registry left empty, relative to the scenario's root: git keeps no empty folders. */
  emptyDirectories: string[];
  /** What the scenario pushed, tagged and deleted (upload ids as renamed in the tree). */
  state: ScenarioState;
  expect: ScenarioExpectations;
  /** gc-model.ts's prediction of what the reference deletes and registry-gc keeps. */
  expectedDivergence: { default: Divergence; deleteUntagged: Divergence };
  /** The reference's parsed `garbage-collect --dry-run` outputs, without and with -m. */
  reference: {
    dryRun: { blobs: string[]; manifests: ReferenceManifest[] };
    dryRunDeleteUntagged: { blobs: string[]; manifests: ReferenceManifest[] };
  };
}

export function loadGoldens(): Golden[] {
  let names: string[];
  try {
    names = readdirSync(GOLDEN_DIR).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.sort().map((n) => JSON.parse(readFileSync(join(GOLDEN_DIR, n), 'utf8')) as Golden);
}

/** Every folder below `root` without entries, relative and sorted. */
export function emptyDirectories(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.length === 0 && dir !== root) found.push(relative(root, dir));
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
  };
  walk(root);
  return found.sort();
}

export function recreateEmptyDirectories(root: string, dirs: readonly string[]): void {
  for (const dir of dirs) {
    const full = resolve(root, dir);
    if (relative(root, full).startsWith('..')) throw new Error(`golden lists a folder outside its tree: ${dir}`);
    mkdirSync(full, { recursive: true });
  }
}
