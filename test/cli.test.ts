/**
 * The CLI end to end, as a process from dist/ (built by `npm test` first), on
 * temporary copies of fixtures/sample: exit codes, the JSON contract of spec
 * §5, sorted arrays, messages a person can act on.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { copyTree, snapshot, tempDir } from './support/tree.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repoRoot, 'dist', 'cli.js');
const sample = path.join(repoRoot, 'fixtures', 'sample');
const expected = JSON.parse(fs.readFileSync(path.join(repoRoot, 'fixtures', 'sample.expected.json'), 'utf8'));

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const isSorted = (keys: string[]) => keys.every((k, i) => i === 0 || keys[i - 1]! <= k);

describe('registry-gc CLI', () => {
  it('--dry-run --json prints one JSON object with the §5 fields and deletes nothing', () => {
    const root = copyTree(sample);
    const before = snapshot(root);
    const { code, stdout } = run('--dry-run', '--json', root);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ dryRun: true, deleteUntagged: false });
    for (const field of ['blobs', 'manifests', 'layerLinks', 'uploads']) expect(Array.isArray(report[field].deleted)).toBe(true);
    expect(typeof report.blobs.marked).toBe('number');
    expect(typeof report.blobs.deletedBytes).toBe('number');
    expect(Array.isArray(report.warnings)).toBe(true);
    expect(report.blobs.deleted.map((b: { digest: string }) => b.digest)).toEqual(expected.default.blobs);
    expect(snapshot(root)).toEqual(before);
  });

  it('-m deletes what the sample says, with sorted arrays, and a second run deletes nothing', () => {
    const root = copyTree(sample);
    const first = run('-m', '--json', root);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    const blobs = report.blobs.deleted.map((b: { digest: string }) => b.digest);
    const manifests = report.manifests.deleted.map((m: { repository: string; digest: string }) => `${m.repository} ${m.digest}`);
    expect(blobs).toEqual(expected.deleteUntagged.blobs);
    expect(report.manifests.deleted).toEqual(expected.deleteUntagged.manifests);
    expect(isSorted(blobs)).toBe(true);
    expect(isSorted(manifests)).toBe(true);
    expect(report.blobs.deletedBytes).toBe(report.blobs.deleted.reduce((n: number, b: { size: number }) => n + b.size, 0));
    const second = JSON.parse(run('-m', '--json', root).stdout);
    expect(second.blobs.deleted).toEqual([]);
    expect(second.manifests.deleted).toEqual([]);
  });

  it('prints a human summary by default, with the advice to restart after a real run', () => {
    const root = copyTree(sample);
    const { code, stdout } = run(root);
    expect(code).toBe(0);
    expect(stdout).toMatch(/blobs\s+deleted 2 \(62 B\)/);
    expect(stdout).toContain('restart the registry');
  });

  it('exit 2 on usage errors, with a message and the usage', () => {
    for (const args of [[], ['--no-such-flag', sample], ['--concurrency', 'zero', sample], [sample, sample]]) {
      const { code, stderr } = run(...args);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^registry-gc: /);
    }
  });

  it('exit 1 when the root is no registry, saying what to point at', () => {
    const { code, stderr } = run(tempDir());
    expect(code).toBe(1);
    expect(stderr).toContain('holds docker/registry/v2');
  });

  it('exit 1 and nothing deleted when marking fails; --json prints the error object', () => {
    const root = copyTree(sample);
    const revision = (expected.tagged['library/app'].latest as string).slice('sha256:'.length);
    fs.writeFileSync(path.join(root, 'docker/registry/v2/blobs/sha256', revision.slice(0, 2), revision, 'data'), '{ not json');
    const before = snapshot(root);
    const { code, stdout, stderr } = run('-m', '--json', root);
    expect(code).toBe(1);
    const output = JSON.parse(stdout);
    expect(output.error.code).toBe('E_MARK_INCOMPLETE');
    expect(output.error.problems[0].code).toBe('manifest_unparsable');
    expect(stderr).toContain('nothing was deleted');
    expect(snapshot(root)).toEqual(before);
  });

  it('--help exits 0 and shows the flags', () => {
    const { code, stdout } = run('--help');
    expect(code).toBe(0);
    for (const flag of ['--dry-run', '--delete-untagged', '--json']) expect(stdout).toContain(flag);
  });
});
