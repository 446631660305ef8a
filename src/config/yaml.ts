/**
 * The YAML parser, loaded on first use: a run on a plain root folder without
 * a policy file never parses YAML, and the parser is the largest module a run
 * would otherwise load at start-up (about 8 MB of RSS).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let yaml: typeof import('yaml') | undefined;

/** The `yaml` package. */
export function yamlParser(): typeof import('yaml') {
  yaml ??= require('yaml') as typeof import('yaml');
  return yaml;
}
