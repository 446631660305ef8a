/**
 * What npm users expect of the package (issue 13, point 11): the version in
 * the code is package.json's, the files it ships hold no source map that
 * points at sources it does not ship, and no script runs in a consumer's
 * install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version-number.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Record<string, any>;

describe('the package', () => {
  it('carries the version of package.json in its code (scripts/write-version.mjs)', () => {
    expect(VERSION).toBe(pkg['version']);
  });

  it('runs nothing in a consumer install, and exports ./package.json', () => {
    expect(Object.keys(pkg['scripts'])).not.toEqual(expect.arrayContaining(['prepare', 'install', 'postinstall', 'preinstall']));
    expect(pkg['exports']['./package.json']).toBe('./package.json');
    expect(pkg['keywords'].length).toBeGreaterThan(3);
  });

  it('packs LICENSE, CHANGELOG.md, README.md and dist without source maps', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
    const files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'CHANGELOG.md', 'README.md', 'package.json', 'dist/index.js', 'dist/cli.js']));
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => !/^(dist\/|LICENSE$|CHANGELOG\.md$|README\.md$|package\.json$)/.test(f))).toEqual([]);
  });
});

describe('start-up', () => {
  it('loads no YAML, S3 or glob package for a run on a root folder, retention included (src/dependencies.ts)', () => {
    const sample = path.join(repoRoot, 'fixtures', 'sample');
    // Packages imported as ES modules are seen by a resolve hook; those required, in require.cache.
    const hook = `export async function resolve(s, c, n) { const r = await n(s, c); if (r.url.includes('/node_modules/')) process.stderr.write('imported ' + r.url + '\\n'); return r; }`;
    const script = `require('node:module').register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
    import(${JSON.stringify(path.join(repoRoot, 'dist', 'index.js'))}).then(async (gc) => {
      const report = await gc.collectGarbage(${JSON.stringify(sample)}, { dryRun: true, deleteUntagged: true, retention: { rules: [{ keepLast: 1, deleteOrphanedTags: true }] } });
      console.log(JSON.stringify({ tags: report.tags.deleted.length, required: Object.keys(require.cache) }));
    });`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(child.status).toBe(0);
    const out = JSON.parse(child.stdout) as { tags: number; required: string[] };
    expect(out.tags).toBeGreaterThan(0);
    const files = [...out.required, ...child.stderr.split('\n').filter((line) => line.startsWith('imported '))];
    const packages = new Set(files.map((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1]));
    expect(packages.has('p-limit')).toBe(true); // the hook and the cache see what a run loads
    expect(['yaml', 'aws4', 'fast-xml-parser', 'picomatch'].filter((name) => packages.has(name))).toEqual([]);
  });

  it('loads each of them where it is wanted: a config.yml, a policy file, repository globs', async () => {
    const { yamlParser, globMatcher, requestSigner, xmlParserClass } = await import('../../src/dependencies.js');
    expect(yamlParser().parse('a: 1')).toEqual({ a: 1 });
    expect(globMatcher()(['team/*'])('team/app')).toBe(true);
    expect(typeof requestSigner().sign).toBe('function');
    expect(new (xmlParserClass())().parse('<a>1</a>')).toEqual({ a: 1 });
  });
});

describe('options a tool author misspells', () => {
  it('are refused, naming the key and the option meant, before anything is read', async () => {
    const { collectGarbage } = await import('../../src/collect/collect-garbage.js');
    const { applyPlan } = await import('../../src/plan/plan.js');
    const { RegistryGcError } = await import('../../src/report/errors.js');
    const error = await collectGarbage('/nonexistent', { deleteUntaged: true } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryGcError);
    expect((error as InstanceType<typeof RegistryGcError>).code).toBe('E_INVALID_OPTION');
    expect((error as Error).message).toBe('collectGarbage: unknown option "deleteUntaged" (did you mean deleteUntagged?)');
    const applied = await applyPlan({}, { dryrun: true } as never).catch((e: unknown) => e);
    expect((applied as Error).message).toBe('applyPlan: unknown option "dryrun" (did you mean dryRun?)');
  });
});
