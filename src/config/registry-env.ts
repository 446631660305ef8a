/**
 * The registry's environment overrides, applied to a parsed config the way
 * distribution's `configuration/parser.go` applies them, so that registry-gc
 * reads the same settings as the registry it cleans:
 *
 * - `REGISTRY_A_B_C=value` sets `a.b.c`; each `_` is one level down. An
 *   existing key matches when its upper-case form equals the segment; a
 *   missing one is created in lower case.
 * - The value is parsed as YAML (`REGISTRY_STORAGE_DELETE_ENABLED=true` is a
 *   boolean), like the registry's `yaml.Unmarshal` of the payload.
 * - Variables apply in lexical order of their names, so `REGISTRY_STORAGE`
 *   (which replaces the whole storage section) lands before
 *   `REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY` refines it.
 * - `storage` set to a bare string names a driver without parameters (the
 *   registry's `Storage.UnmarshalYAML` accepts that form): it becomes `{ [driver]: {} }`.
 */
import { yamlParser } from '../dependencies.js';

export type ConfigNode = Record<string, unknown>;

const PREFIX = 'REGISTRY';

export function isMapping(value: unknown): value is ConfigNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses YAML the way the registry's yaml.v2 does (YAML 1.1: `yes`/`no` are booleans). */
export function parseYaml(text: string): unknown {
  return yamlParser().parse(text, { version: '1.1' });
}

function findKey(node: ConfigNode, segment: string): string | undefined {
  return Object.keys(node).find((key) => key.toUpperCase() === segment);
}

function set(node: ConfigNode, path: readonly string[], value: unknown): void {
  const [segment, ...rest] = path;
  if (segment === undefined) return;
  const key = findKey(node, segment) ?? segment.toLowerCase();
  if (rest.length === 0) {
    node[key] = value;
    return;
  }
  let child = node[key];
  // The registry recreates a missing or null level; a scalar in the way is left alone (it ignores the variable).
  if (child === undefined || child === null) {
    child = {};
    node[key] = child;
  }
  if (isMapping(child)) set(child, rest, value);
}

/**
 * Applies every `REGISTRY_*` variable of `env` to `config` (mutated) and
 * returns the names of the variables applied, in the order applied.
 */
export function applyEnvironment(config: ConfigNode, env: Readonly<Record<string, string | undefined>>): string[] {
  const names = Object.keys(env)
    .filter((name) => name.startsWith(`${PREFIX}_`))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const applied: string[] = [];
  for (const name of names) {
    const path = name.split('_').slice(1);
    // An empty segment (`REGISTRY__X`, a trailing `_`) names no setting.
    if (path.some((segment) => segment === '')) continue;
    let value: unknown;
    try {
      value = parseYaml(env[name] ?? '');
    } catch (error) {
      // The registry refuses to start on such a variable; so do we, naming it.
      throw new Error(`environment variable ${name} is not valid YAML: ${(error as Error).message}`, { cause: error });
    }
    if (path.length === 1 && path[0] === 'STORAGE' && typeof value === 'string') value = { [value]: {} };
    set(config, path, value ?? null);
    applied.push(name);
  }
  return applied;
}

/**
 * The variable that decided the setting at `path` (e.g. storage.filesystem.rootdirectory):
 * the most specific applied variable whose path is a prefix of it, or undefined
 * when the config file decided.
 */
export function variableFor(applied: readonly string[], path: readonly string[]): string | undefined {
  const full = [PREFIX, ...path.map((p) => p.toUpperCase())];
  let best: string | undefined;
  for (const name of applied) {
    const parts = name.split('_');
    if (parts.length <= full.length && parts.every((part, i) => part === full[i])) {
      if (best === undefined || parts.length >= best.split('_').length) best = name;
    }
  }
  return best;
}
