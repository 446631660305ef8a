/**
 * Issue 13, the command line: a user's mistake gets one short, exact message
 * (exit 2, a few lines, a pointer to --help instead of the whole help), and
 * an interrupted run prints its report. Through the real binary.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { copyTree, tempDir } from '../../harness/tree.js';
import { generateRegistry } from '../support/generated-registry.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(repoRoot, 'dist', 'cli.js');
const sample = path.join(repoRoot, 'fixtures', 'sample');

function run(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd, env: { PATH: process.env['PATH'] ?? '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('a mistake on the command line: one short message, exit 2', () => {
  const root = copyTree(sample);
  const cwd = tempDir();
  const cases: Array<[string, string[], RegExp]> = [
    ['a root that does not exist', [path.join(cwd, 'nothere')], new RegExp(`^registry-gc: ${path.join(cwd, 'nothere')} does not exist$`, 'm')],
    ['the v2 folder instead of the root', [path.join(root, 'docker', 'registry', 'v2')], new RegExp(`its root \\(the rootdirectory, which holds docker/registry/v2\\) is ${root}$`, 'm')],
    ['the docker folder instead of the root', [path.join(root, 'docker')], new RegExp(`its root .* is ${root}$`, 'm')],
    ['a config file that does not exist', ['nothere.yml'], /: no such file$/m],
    ['an unknown command', ['planx', root], /unknown command "planx" \(did you mean plan\?\)/],
    ['an unknown flag', ['--dry-runn', root], /^registry-gc: unknown option --dry-runn \(did you mean --dry-run\?\)$/m],
    ['a flag without its value', [root, '-o'], /^registry-gc: --output needs a value$/m],
    ['a bad duration, named by its flag', ['--min-age', '5x', root], /^registry-gc: --min-age must be a duration like/m],
    ['two roots', [root, root], /expected exactly one ROOT or CONFIG, got 2/],
  ];
  for (const [what, args, message] of cases) {
    it(what, () => {
      const { code, stdout, stderr } = run(cwd, ...args);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(message);
      expect(stderr).toMatch(/^see registry-gc --help$/m);
      expect(stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
      expect(stderr).not.toMatch(/usage:|place it at the end|uploadAge|minAge/);
    });
  }

  it('with --json, the failure object carries the error and the report key (null: nothing ran)', () => {
    const { code, stdout } = run(cwd, '--json', path.join(cwd, 'nothere'));
    expect(code).toBe(2);
    const failure = JSON.parse(stdout);
    expect(Object.keys(failure)).toEqual(['error', 'report']);
    expect(failure).toMatchObject({ error: { code: 'E_NOT_A_REGISTRY' }, report: null });
  });

  it('a duration prints as written: the plan of --upload-age 90m says 90m, of 1s says 1s', () => {
    const planFile = path.join(tempDir(), 'plan.json');
    for (const [typed, shown] of [['90m', '90m'], ['1s', '1s'], ['168h', '7d']] as const) {
      const { code, stdout } = run(cwd, 'plan', '--upload-age', typed, '-o', planFile, root);
      expect(code).toBe(0);
      expect(stdout).toContain(`upload age ${shown})`);
    }
  });
});

describe('an interrupted run', () => {
  it('prints its report, what was done before the interruption, in human form', async () => {
    const root = tempDir();
    generateRegistry(root, { seed: 7 });
    const child = spawn(process.execPath, [cli, '-m', '--quiet', root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    // Interrupted once it is moving (the trash appears), or after 2 s at the latest.
    const trash = path.join(root, 'registry-gc-trash');
    for (let waited = 0; waited < 2000 && !fs.existsSync(trash); waited += 5) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(stderr).toContain('the report lists what was deleted before');
    expect(stdout).toMatch(/blobs\s/);
    expect(stdout).toMatch(/manifests\s/);
  });
});
