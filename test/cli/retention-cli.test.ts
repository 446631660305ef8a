/**
 * Retention on the command line, through the real binary: the flags and a
 * policy file make the same rules as the library's option; mistakes exit 2
 * naming the flag (or the file); the summary lists each tag with its rule.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/report.js';
import { tempDir, TreeBuilder } from '../../harness/tree.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(repoRoot, 'dist', 'cli.js');
const DAY = 86_400_000;

function run(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd, env: { PATH: process.env['PATH'] ?? '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** build-1 … build-5 pushed 45 … 41 days ago, v1.0.0 90 days ago, latest now; and an orphaned signature tag. */
function registry(): TreeBuilder {
  const t = new TreeBuilder(tempDir());
  const now = Date.now();
  for (let i = 1; i <= 5; i++) {
    t.image('team/app', { tag: `build-${i}` });
    t.pushedAt('team/app', `build-${i}`, new Date(now - (46 - i) * DAY));
  }
  t.image('team/app', { tag: 'v1.0.0' });
  t.pushedAt('team/app', 'v1.0.0', new Date(now - 90 * DAY));
  t.image('team/app', { tag: 'latest' });
  t.image('infra/db', { tag: 'build-1' });
  t.pushedAt('infra/db', 'build-1', new Date(now - 90 * DAY));
  t.image('team/sig', { tag: `sha256-${'ab'.repeat(32)}.sig` });
  return t;
}

const tagsIn = (report: Report) => report.tags.deleted.map((d) => `${d.repository}:${d.tag} ${d.rule}`);

describe('retention flags', () => {
  it('make one rule: --keep-last, --keep-tags, --older-than, --delete-tags, scoped by --repository', () => {
    const t = registry();
    const r = run(t.root, '-m', '--dry-run', '--json', '--keep-last', '2', '--keep-tags', 'v\\d+\\.\\d+\\.\\d+', '--older-than', '30d', '--delete-tags', 'build-.*', '--repository', 'team/*', t.root);
    expect(r.code).toBe(0);
    expect(tagsIn(JSON.parse(r.stdout) as Report)).toEqual(['team/app:build-1 command-line', 'team/app:build-2 command-line', 'team/app:build-3 command-line', 'team/app:build-4 command-line']);
  });

  it('a real run deletes the tags and what only they kept, and prints each with its rule', () => {
    const t = registry();
    const r = run(t.root, '-m', '--keep-last', '1', '--delete-orphaned-tags', '--repository', 'team/**', t.root);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(t.layout.tagsDir('team/app')).sort()).toEqual(['latest']);
    expect(fs.existsSync(t.layout.tagsDir('team/sig')) && fs.readdirSync(t.layout.tagsDir('team/sig'))).toEqual([]);
    expect(fs.readdirSync(t.layout.tagsDir('infra/db'))).toEqual(['build-1']);
    expect(r.stdout).toMatch(/^tags deleted, by rule: command-line 6, orphaned-referrer 1$/m);
    expect(r.stdout).toMatch(/^ {2}command-line {7}team\/app:build-1$/m);
    expect(r.stdout).toMatch(/^ {2}team\/app .* 6 tags, 6 manifests/m);
  });

  it('--policy FILE: first-match rules per repository from YAML; --protect-digest and --no-keep-latest go with it', () => {
    const t = registry();
    const policy = path.join(t.root, 'policy.yml');
    fs.writeFileSync(
      policy,
      ['deleteOrphanedTags: true', 'rules:', '  - name: infra', '    repositories: ["infra/**"]', '    olderThan: 60d', '  - name: apps', '    repositories: ["team/**"]', '    keepLast: 3', ''].join('\n'),
    );
    const r = run(t.root, '-m', '--dry-run', '--json', '--policy', 'policy.yml', '--no-keep-latest', t.root);
    expect(r.code).toBe(0);
    const deleted = tagsIn(JSON.parse(r.stdout) as Report);
    expect(deleted).toContain('infra/db:build-1 infra');
    expect(deleted).toContain(`team/sig:sha256-${'ab'.repeat(32)}.sig orphaned-referrer`);
    // keepLast 3 of latest (now), build-5, build-4 … with latest no longer kept by name it still ranks first.
    expect(deleted.filter((d) => d.startsWith('team/app:'))).toEqual(['team/app:build-1 apps', 'team/app:build-2 apps', 'team/app:build-3 apps', 'team/app:v1.0.0 apps']);
  });

  const mistakes: Array<[string, string[], RegExp]> = [
    ['a retention flag without -m', ['--keep-last', '2'], /^registry-gc: --keep-last needs -m \(--delete-untagged\)/m],
    ['--policy without -m', ['--policy', 'good.yml'], /^registry-gc: --policy needs -m/m],
    ['--delete-orphaned-tags without -m', ['--delete-orphaned-tags'], /^registry-gc: --delete-orphaned-tags needs -m/m],
    ['--policy mixed with rule flags', ['-m', '--policy', 'p.yml', '--keep-last', '2'], /^registry-gc: --policy and --keep-last do not mix/m],
    ['--keep-last that is no number', ['-m', '--keep-last', 'ten'], /^registry-gc: --keep-last must be a whole number of tags, got "ten"$/m],
    ['--keep-tags that is no regular expression', ['-m', '--keep-tags', '('], /^registry-gc: --keep-tags must hold regular expressions; "\(" is not one/m],
    ['--older-than that is no duration', ['-m', '--older-than', 'soon'], /^registry-gc: --older-than must be a duration/m],
    ['--repository alone', ['-m', '--repository', 'team/*'], /^registry-gc: --repository scopes --keep-last/m],
    ['--protect-digest that is no digest', ['-m', '--protect-digest', 'sha256:x'], /^registry-gc: --protect-digest must hold digests/m],
    ['a policy file that does not exist', ['-m', '--policy', 'nothere.yml'], /^registry-gc: policy .*nothere\.yml: no such file$/m],
    ['a policy file with an unknown key', ['-m', '--policy', 'p.yml'], /^registry-gc: policy .*p\.yml: rules\[0\]: unknown key "keep_last"/m],
  ];
  for (const [what, args, message] of mistakes) {
    it(`${what}: one short message, exit 2, nothing deleted`, () => {
      const t = registry();
      fs.writeFileSync(path.join(t.root, 'p.yml'), 'rules:\n  - keep_last: 1\n');
      fs.writeFileSync(path.join(t.root, 'good.yml'), 'rules:\n  - keepLast: 1\n');
      const r = run(t.root, ...args, t.root);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n').length).toBeLessThanOrEqual(4);
      expect(fs.readdirSync(t.layout.tagsDir('team/app'))).toHaveLength(7);
    });
  }

  it('apply refuses retention flags: it takes them from the plan', () => {
    const t = registry();
    const planFile = path.join(t.root, 'plan.json');
    expect(run(t.root, 'plan', '-m', '--keep-last', '2', t.root, '-o', planFile).code).toBe(0);
    const r = run(t.root, 'apply', '--keep-last', '3', planFile);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--keep-last: apply runs with the options recorded in the plan/);
  });
});
