/**
 * The policy file: the examples in the README and docs/retention.md are
 * valid policies that do what the text says; a broken file is refused
 * naming the file and what is wrong in it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import { readRetentionPolicy } from '../../src/retention/policy-file.js';
import { tempDir, TreeBuilder } from '../../harness/tree.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function yamlBlocks(file: string): string[] {
  const text = fs.readFileSync(path.join(repoRoot, file), 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function policyFile(text: string): string {
  const file = path.join(tempDir(), 'retention.yml');
  fs.writeFileSync(file, text);
  return file;
}

describe('the retention policy file', () => {
  it('the examples of the README and docs/retention.md are valid policies', () => {
    const blocks = [...yamlBlocks('README.md'), ...yamlBlocks('docs/retention.md')];
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks) expect(readRetentionPolicy(policyFile(block)).rules!.length).toBeGreaterThan(1);
  });

  it("the README's example does what it says: archive untouched, releases and ci by their rules, orphans gone everywhere else", async () => {
    const policy = readRetentionPolicy(policyFile(yamlBlocks('README.md')[0]!));
    const t = new TreeBuilder(tempDir());
    // Nine tags per repository, pushed 60 … 52 days ago: pr-1 first, then nightly, build-1 … build-7.
    const tags = ['pr-1', 'nightly', ...Array.from({ length: 7 }, (_, i) => `build-${i + 1}`)];
    for (const repo of ['archive/x', 'prod/api', 'ci/tool', 'other']) {
      tags.forEach((tag, i) => {
        t.image(repo, { tag });
        t.pushedAt(repo, tag, new Date(Date.now() - (60 - i) * 86_400_000));
      });
      // A signature of an image that is gone: the policy deletes orphans, but archive/** is left alone.
      const orphan = `sha256-${'cd'.repeat(32)}.sig`;
      t.image(repo, { tag: orphan });
      t.pushedAt(repo, orphan, new Date(Date.now() - 60 * 86_400_000));
    }
    const report = await collectGarbage(t.root, { deleteUntagged: true, dryRun: true, retention: policy });
    // ci: the 5 newest (build-3 … build-7) stay; of the rest, nightly matches no delete pattern.
    const orphan = `sha256-${'cd'.repeat(32)}.sig`;
    expect(report.tags.deleted.map((d) => `${d.repository}:${d.tag}:${d.rule}`)).toEqual([
      'ci/tool:build-1:ci',
      'ci/tool:build-2:ci',
      'ci/tool:pr-1:ci',
      `ci/tool:${orphan}:orphaned-referrer`,
      `other:${orphan}:orphaned-referrer`,
      `prod/api:${orphan}:orphaned-referrer`,
    ]);
  });

  it('a broken file is refused naming the file and what is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['rules: [', /not valid YAML/],
      ['- just a list', /expected a mapping/],
      ['rules:\n  - keepLast: many\n', /rules\[0\]\.keepLast must be a whole number/],
      ['rules:\n  - deleteTags: ["("]\n', /rules\[0\]\.deleteTags must hold regular expressions/],
      ['rules:\n  - olderThan: 3 weeks\n', /rules\[0\]\.olderThan must be a duration/],
      ['rule:\n  - keepLast: 1\n', /unknown key "rule"/],
      ['rules:\n  - olderThan: 30\n', /rules\[0\]\.olderThan must be a duration with its unit/],
    ];
    for (const [text, message] of cases) {
      const file = policyFile(text);
      expect(() => readRetentionPolicy(file), text).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION', message: expect.stringMatching(message) }));
      expect(() => readRetentionPolicy(file)).toThrow(file);
    }
  });
});
