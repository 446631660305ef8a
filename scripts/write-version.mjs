// Writes src/version-number.ts from package.json before every build, so the
// version is part of the code (a bundled build has no package.json beside it).
import { readFileSync, writeFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const file = new URL('../src/version-number.ts', import.meta.url);
const text = `/** Written by scripts/write-version.mjs from package.json at build time; a test checks they agree. */\nexport const VERSION = ${JSON.stringify(version)};\n`;
let old = '';
try {
  old = readFileSync(file, 'utf8');
} catch {}
if (old !== text) writeFileSync(file, text);
