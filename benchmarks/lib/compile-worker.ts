/**
 * Worker threads started from `npx tsx` do not inherit tsx's loader, and
 * booting tsx inside a worker costs ~0.2 s, as much as the whole floor of a
 * standard tree. So a TypeScript worker entry is transpiled (with the
 * project's own `typescript`, module by module, following relative imports)
 * into plain ES modules under the OS temp folder, cached by a hash of the
 * sources: a plain-JS worker boots in ~30 ms, as a built collector's would.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PROJECT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const RELATIVE_IMPORT = /\bfrom\s+['"](\.{1,2}\/[^'"]+)\.js['"]/g;

/** The entry and every module it imports relatively, as absolute .ts paths. */
function moduleGraph(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(RELATIVE_IMPORT)) {
      const spec = m[1];
      if (spec !== undefined) visit(path.resolve(path.dirname(file), `${spec}.ts`));
    }
  };
  visit(entry);
  return [...seen].sort();
}

/** Returns the URL of the compiled entry, compiling on first use. */
export async function compiledWorker(entry: URL): Promise<URL> {
  const entryPath = fileURLToPath(entry);
  const files = moduleGraph(entryPath);
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update('\0').update(fs.readFileSync(f)).update('\0');
  const outDir = path.join(os.tmpdir(), `registry-gc-worker-${hash.digest('hex').slice(0, 16)}`);
  const outFor = (file: string): string => path.join(outDir, path.relative(PROJECT, file)).replace(/\.ts$/, '.js');
  if (!fs.existsSync(path.join(outDir, 'package.json'))) {
    const ts = (await import('typescript')).default;
    const staging = `${outDir}.${process.pid}.tmp`;
    for (const file of files) {
      const out = path.join(staging, path.relative(PROJECT, file)).replace(/\.ts$/, '.js');
      const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      });
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, outputText);
    }
    fs.writeFileSync(path.join(staging, 'package.json'), '{"type":"module"}\n');
    try {
      fs.renameSync(staging, outDir);
    } catch {
      // Another process compiled the same sources first: use theirs.
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  return pathToFileURL(outFor(entryPath));
}
