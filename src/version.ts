/**
 * The package's version, fixed at build time from package.json
 * (scripts/write-version.mjs), so a bundled build needs no package.json
 * beside it and it can never throw. Plans record it; `--version` prints it.
 */
import { VERSION } from './version-number.js';

export function packageVersion(): string {
  return VERSION;
}
