/**
 * The package's version, read from package.json at run time (one level
 * above dist/ or src/), so it can never disagree with the package that was
 * installed. Plans record it; `--version` prints it.
 */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const version: unknown = (JSON.parse(text) as Record<string, unknown>)['version'];
  return typeof version === 'string' ? version : 'unknown';
}
