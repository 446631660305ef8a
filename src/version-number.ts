/** Written by scripts/write-version.mjs from package.json at build time; a test checks they agree. */
export const VERSION = "0.1.0";
