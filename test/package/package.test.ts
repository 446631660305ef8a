/**
 * What npm users expect of the package (issue 13, point 11): the version in
 * the code is package.json's, the files it ships hold no source map that
 * points at sources it does not ship, and no script runs in a consumer's
 * install.
 */
import { execFileSync } from 'node:child_process';
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
