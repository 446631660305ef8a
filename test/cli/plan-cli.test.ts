/**
 * `registry-gc plan` and `registry-gc apply` end to end, as a process from
 * dist/ (built by `npm test` first): the plan file, a change to the tree
 * between plan and apply, skipped items with their reasons, refused plans
 * (exit 2), dry runs, and the files that must survive, checked on disk.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { blobExists, copyTree, snapshot, tempDir, TreeBuilder } from '../../harness/tree.js';
import { imageBlobs } from '../support/servable.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(repoRoot, 'dist', 'cli.js');
const sample = path.join(repoRoot, 'fixtures', 'sample');

function run(...args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REGISTRY_')));
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000, env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}


/** A tagged image, two untagged ones, an orphan blob, a stale upload. */
function registry() {
  const t = new TreeBuilder(tempDir());
  const kept = t.image('team/app', { tag: 'v1' });
  const untagged = t.image('team/app');
  const old = t.image('team/app');
  const orphan = t.blob('never referenced');
  t.upload('team/app', 'abandoned', '2020-01-01T00:00:00Z');
  const planFile = path.join(tempDir(), 'plan.json');
  return { t, kept, untagged, old, orphan, planFile };
}

interface Skipped {
  category: string;
  item: { digest?: string; repository?: string; id?: string };
  reason: string;
}

describe('registry-gc plan', () => {
  it('writes every deletion with its reason and size and a fingerprint, deletes nothing, and says how to apply', () => {
    const root = copyTree(sample);
    const planFile = path.join(tempDir(), 'plan.json');
    const before = snapshot(root);
    const { code, stdout, stderr } = run('plan', '-m', root, '-o', planFile);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(snapshot(root)).toEqual(before);
    const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'));
    const dry = JSON.parse(run('-m', '--dry-run', '--json', root).stdout);
    expect(plan).toMatchObject({ format: 'registry-gc-plan', formatVersion: 1, root, options: { deleteUntagged: true } });
    expect(plan.items.blobs).toEqual(dry.blobs.deleted.map((b: { digest: string; size: number }) => ({ ...b, reason: 'unreferenced' })));
    expect(plan.items.manifests).toEqual(dry.manifests.deleted.map((m: object) => ({ ...m, reason: 'untagged' })));
    expect(plan.items.uploads.map((u: { reason: string }) => u.reason)).toEqual(dry.uploads.deleted.map(() => 'stale'));
    expect(plan.fingerprint.categories.blobs).toEqual({ count: dry.blobs.deleted.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(plan.registryGcVersion).toBe(JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version);
    expect(stdout).toContain(`registry-gc plan of ${root}, written to ${planFile}`);
    expect(stdout).toMatch(/blobs\s+14 \(14 unreferenced, /);
    expect(stdout).toContain(`fingerprint   sha256:${plan.fingerprint.sha256}`);
    expect(stdout).toContain(`registry-gc apply ${planFile}`);
    // No temporary file is left next to the plan.
    expect(fs.readdirSync(path.dirname(planFile))).toEqual(['plan.json']);
  });

  it('--json prints the plan itself; a CONFIG gives the root and the upload age', () => {
    const root = copyTree(sample);
    const config = path.join(tempDir(), 'config.yml');
    fs.writeFileSync(config, `storage:\n  filesystem:\n    rootdirectory: ${root}\n  maintenance:\n    uploadpurging:\n      age: 876000h\n`);
    const planFile = path.join(tempDir(), 'plan.json');
    const { code, stdout } = run('plan', '--json', config, '-o', planFile);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(JSON.parse(fs.readFileSync(planFile, 'utf8')));
    expect(JSON.parse(stdout)).toMatchObject({ root, options: { uploadAge: 876_000 * 3_600_000 }, items: { uploads: [] } });
  });

  it('exit 2 without -o, or with -o in a folder that does not exist; exit 1 and no plan when marking fails', () => {
    const { t, kept, planFile } = registry();
    const noOutput = run('plan', t.root);
    expect(noOutput.code).toBe(2);
    expect(noOutput.stderr).toContain('-o FILE is required');
    const badDir = run('plan', t.root, '-o', path.join(tempDir(), 'missing', 'plan.json'));
    expect(badDir.code).toBe(2);
    expect(badDir.stderr).toContain('cannot write the plan');
    expect(run('plan', t.root, t.root, '-o', planFile).code).toBe(2);

    fs.writeFileSync(t.layout.blobData(kept.manifest.digest), '{ not json');
    const failed = run('plan', '-m', t.root, '-o', planFile);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('nothing was deleted');
    expect(fs.readdirSync(path.dirname(planFile))).toEqual([]);
  });
});

describe('registry-gc apply', () => {
  it('plan, tag an untagged image, apply: that image is skipped with its reason, the rest of the plan is deleted', () => {
    const { t, kept, untagged, old, orphan, planFile } = registry();
    expect(run('plan', '-m', t.root, '-o', planFile).code).toBe(0);
    t.tag('team/app', 'rescued', untagged.manifest.digest);

    const { code, stdout, stderr } = run('apply', '--json', planFile, t.root);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.dryRun).toBe(false);
    const skipped = result.skipped as Skipped[];
    expect(skipped.filter((s) => s.category === 'manifests')).toEqual([
      { category: 'manifests', item: { repository: 'team/app', digest: untagged.manifest.digest, reason: 'untagged' }, reason: 'no-longer-unreferenced', message: expect.any(String) },
    ]);
    expect(skipped.filter((s) => s.category === 'blobs').map((s) => s.item.digest).sort()).toEqual(imageBlobs(untagged).sort());
    expect(new Set(skipped.map((s) => s.reason))).toEqual(new Set(['no-longer-unreferenced']));
    expect(result.deleted.manifests.map((m: { digest: string }) => m.digest)).toEqual([old.manifest.digest]);
    expect(result.deleted.blobs.map((b: { digest: string }) => b.digest).sort()).toEqual([...imageBlobs(old), orphan.digest].sort());
    expect(result.deleted.uploads.map((u: { id: string }) => u.id)).toEqual(['abandoned']);
    expect(stderr).toContain('restart the registry');

    // On disk: the rescued and the tagged image are complete; the rest of the plan is gone.
    for (const d of [...imageBlobs(untagged), ...imageBlobs(kept)]) expect(blobExists(t.root, d)).toBe(true);
    expect(fs.readFileSync(t.layout.revisionLink('team/app', untagged.manifest.digest), 'utf8')).toBe(untagged.manifest.digest);
    for (const l of [untagged.config, ...untagged.layers]) expect(fs.readFileSync(t.layout.layerLink('team/app', l.digest), 'utf8')).toBe(l.digest);
    for (const d of [...imageBlobs(old), orphan.digest]) expect(blobExists(t.root, d)).toBe(false);
    expect(fs.existsSync(t.layout.revisionDir('team/app', old.manifest.digest))).toBe(false);
    expect(fs.existsSync(t.layout.uploadDir('team/app', 'abandoned'))).toBe(false);

    // A run afterwards with the same options finds nothing of the old plan left.
    const again = JSON.parse(run('-m', '--dry-run', '--json', t.root).stdout);
    expect(again.blobs.deleted).toEqual([]);
    expect(again.manifests.deleted).toEqual([]);
  });

  it('--full-recheck reports items gone meanwhile, and garbage that appeared after the plan, in the human summary too', () => {
    const { t, orphan, planFile } = registry();
    expect(run('plan', '-m', t.root, '-o', planFile).code).toBe(0);
    fs.rmSync(t.layout.blobDir(orphan.digest), { recursive: true });
    const late = t.blob('garbage written after the plan');
    const lateImage = t.image('team/app');

    const { code, stdout } = run('apply', '--full-recheck', planFile);
    expect(code).toBe(0);
    expect(stdout).toContain(`registry-gc apply of ${planFile} to ${t.root}`);
    expect(stdout).toContain('re-check      full: a fresh mark of the whole tree');
    expect(stdout).toMatch(/blobs\s+deleted 6 of 7 planned/);
    expect(stdout).toContain('skipped (1):');
    expect(stdout).toContain('  gone (1)');
    expect(stdout).toContain(`    blob ${orphan.digest}: already gone`);
    expect(stdout).toContain('not in the plan, left alone: 1 manifest, 4 blobs, 2 layer links; make a new plan to review them');
    expect(stdout).toContain('restart the registry');
    expect(blobExists(t.root, late.digest)).toBe(true);
    for (const d of imageBlobs(lateImage)) expect(blobExists(t.root, d)).toBe(true);
    expect(fs.existsSync(t.layout.revisionLink('team/app', lateImage.manifest.digest))).toBe(true);
  });

  it('--dry-run deletes nothing and lists what apply would delete; --output writes the JSON report', () => {
    const { t, untagged, planFile } = registry();
    expect(run('plan', '-m', t.root, '-o', planFile).code).toBe(0);
    t.tag('team/app', 'rescued', untagged.manifest.digest);
    const before = snapshot(t.root);
    const reportFile = path.join(tempDir(), 'apply.json');
    const { code, stdout } = run('apply', '--dry-run', '--output', reportFile, planFile);
    expect(code).toBe(0);
    expect(snapshot(t.root)).toEqual(before);
    expect(stdout).toContain(`registry-gc dry run of applying ${planFile} to ${t.root}`);
    expect(stdout).toMatch(/manifests\s+would delete 1 of 2 planned/);
    expect(stdout).toContain('no-longer-unreferenced (6)');
    expect(stdout).toContain('this was a dry run: nothing was deleted');
    const written = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
    expect(written.dryRun).toBe(true);
    expect(written.deleted.manifests).toHaveLength(1);
    expect(written.skipped).toHaveLength(6);
  });

  it('refuses a plan for another root (exit 2), deleting nothing in either', () => {
    const { t, planFile } = registry();
    const other = registry().t;
    expect(run('plan', '-m', t.root, '-o', planFile).code).toBe(0);
    const before = snapshot(t.root);
    const otherBefore = snapshot(other.root);
    const { code, stdout, stderr } = run('apply', '--json', planFile, other.root);
    expect(code).toBe(2);
    expect(stderr).toContain(`this plan is for ${t.root}, not for ${other.root}`);
    expect(JSON.parse(stdout).error.code).toBe('E_INVALID_PLAN');
    // A plan copied next to another registry still names its own root: moving the root in the file breaks the fingerprint.
    const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'));
    fs.writeFileSync(planFile, JSON.stringify({ ...plan, root: other.root }));
    const moved = run('apply', planFile);
    expect(moved.code).toBe(2);
    expect(moved.stderr).toContain('does not match its fingerprint');
    expect(snapshot(t.root)).toEqual(before);
    expect(snapshot(other.root)).toEqual(otherBefore);
  });

  it('refuses a corrupt or edited plan file (exit 2), and a missing one', () => {
    const { t, planFile } = registry();
    expect(run('plan', '-m', t.root, '-o', planFile).code).toBe(0);
    const text = fs.readFileSync(planFile, 'utf8');
    const before = snapshot(t.root);

    fs.writeFileSync(planFile, text.slice(0, text.length / 2));
    const truncated = run('apply', planFile);
    expect(truncated.code).toBe(2);
    expect(truncated.stderr).toContain('it is not JSON');

    const plan = JSON.parse(text);
    plan.items.blobs = plan.items.blobs.slice(1);
    fs.writeFileSync(planFile, JSON.stringify(plan));
    const edited = run('apply', '--json', planFile);
    expect(edited.code).toBe(2);
    expect(edited.stderr).toContain("the plan's items do not match its fingerprint (blobs)");
    expect(JSON.parse(edited.stdout).error.code).toBe('E_INVALID_PLAN');

    fs.writeFileSync(planFile, '{"hello": "world"}');
    expect(run('apply', planFile).stderr).toContain('not a registry-gc plan');
    const missing = run('apply', path.join(tempDir(), 'nothing.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the plan');
    expect(snapshot(t.root)).toEqual(before);
  });

  it('exit 2 for flags the plan decides, and for a wrong number of arguments', () => {
    const { t, planFile } = registry();
    expect(run('plan', t.root, '-o', planFile).code).toBe(0);
    const before = snapshot(t.root);
    const flagged = run('apply', '-m', '--min-age', '1h', planFile);
    expect(flagged.code).toBe(2);
    expect(flagged.stderr).toContain('--delete-untagged, --min-age: apply runs with the options recorded in the plan');
    expect(run('apply').code).toBe(2);
    expect(run('apply', planFile, t.root, t.root).code).toBe(2);
    expect(snapshot(t.root)).toEqual(before);
  });

  it('--help shows plan and apply with an example', () => {
    const { stdout } = run('--help');
    expect(stdout).toContain('registry-gc plan [options] ROOT|CONFIG -o PLAN');
    expect(stdout).toContain('registry-gc plan -m /var/lib/registry -o plan.json');
    expect(stdout).toContain('registry-gc apply plan.json /var/lib/registry');
  });
});
