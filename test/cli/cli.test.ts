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
import { copyTree, snapshot, tempDir } from '../../harness/tree.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(repoRoot, 'dist', 'cli.js');
const sample = path.join(repoRoot, 'fixtures', 'sample');
const expected = JSON.parse(fs.readFileSync(path.join(repoRoot, 'fixtures', 'sample.expected.json'), 'utf8'));

/** The environment without REGISTRY_* variables, so the developer's own shell cannot change a test. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REGISTRY_')));
  return { ...env, ...extra };
}

function runIn(options: { cwd?: string; env?: Record<string, string> }, ...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000, cwd: options.cwd, env: cleanEnv(options.env) });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function run(...args: string[]) {
  return runIn({}, ...args);
}

/** Runs the CLI under a pseudo-terminal (util-linux `script`, in Debian's essential bsdutils): stdout and stderr arrive merged. */
function runInTerminal(...args: string[]) {
  const command = [process.execPath, cli, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const result = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 20_000, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) throw new Error(`cannot run script(1) from util-linux (apt-get install bsdutils): ${result.error.message}`);
  return { code: result.status, output: result.stdout };
}

function writeConfig(dir: string, text: string): string {
  const file = path.join(dir, 'config.yml');
  fs.writeFileSync(file, text);
  return file;
}

const CLEAR_LINE = '\r\x1b[K';

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

  it('exit 2 when the root is no registry, saying what to point at', () => {
    const { code, stderr } = run(tempDir());
    expect(code).toBe(2);
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

  it('--version prints the version of package.json', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const { code, stdout } = run('--version');
    expect(code).toBe(0);
    expect(stdout).toBe(`registry-gc ${version}\n`);
  });

  it('--help shows the new flags and an example for each common job', () => {
    const { stdout } = run('--help');
    for (const flag of ['--upload-age', '--keep-uploads', '--prune-layer-links', '--remove-empty-repositories', '--output', '--quiet', '--version']) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain('registry-gc --dry-run /var/lib/registry');
    expect(stdout).toContain('registry-gc -m /etc/docker/registry/config.yml');
    expect(stdout).toContain('relative rootdirectory is resolved against the current directory');
  });
});

describe('registry-gc CONFIG', () => {
  it('reads an absolute rootdirectory from the config and collects that tree', () => {
    const root = copyTree(sample);
    const config = writeConfig(tempDir(), `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${root}\nhttp:\n  addr: 127.0.0.1:5000\n`);
    const before = snapshot(root);
    const { code, stdout } = run('--dry-run', '--json', config);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.root).toBe(root);
    expect(report.blobs.deleted.map((b: { digest: string }) => b.digest)).toEqual(expected.default.blobs);
    expect(snapshot(root)).toEqual(before);
  });

  it('resolves a relative rootdirectory against the current directory, and says where the root came from', () => {
    const workdir = tempDir();
    fs.cpSync(sample, path.join(workdir, 'data'), { recursive: true });
    const config = writeConfig(tempDir(), 'storage:\n  filesystem:\n    rootdirectory: data\n');
    const { code, stdout } = runIn({ cwd: workdir }, '-m', config);
    expect(code).toBe(0);
    expect(stdout).toContain(`run of ${path.join(workdir, 'data')} (deleting untagged manifests)`);
    expect(stdout).toContain(`root from     ${config} (storage.filesystem.rootdirectory "data", relative to the current directory)`);
    for (const digest of expected.deleteUntagged.blobs as string[]) {
      const hex = digest.slice('sha256:'.length);
      expect(fs.existsSync(path.join(workdir, 'data/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex))).toBe(false);
    }
  });

  it('honours REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY over the file', () => {
    const root = copyTree(sample);
    const config = writeConfig(tempDir(), 'storage:\n  filesystem:\n    rootdirectory: /nonexistent/registry\n');
    const { code, stdout } = runIn({ env: { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root } }, '--dry-run', config);
    expect(code).toBe(0);
    expect(stdout).toContain(`dry run of ${root}`);
    expect(stdout).toContain('(REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY)');
  });

  it('refuses another storage driver, naming it and what is supported; --json gets the error object', () => {
    const config = writeConfig(tempDir(), 'storage:\n  gcs:\n    bucket: images\n');
    const file = path.join(tempDir(), 'report.json');
    const { code, stdout, stderr } = run('--json', '--output', file, config);
    expect(code).toBe(2);
    expect(stderr).toContain('"gcs" storage driver');
    expect(stderr).toContain('collects the "filesystem" and "s3" drivers');
    expect(JSON.parse(stdout).error.code).toBe('E_INVALID_OPTION');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(JSON.parse(stdout));
    const viaEnv = runIn({ env: { REGISTRY_STORAGE: 'gcs' } }, writeConfig(tempDir(), 'storage:\n  filesystem: {}\n'));
    expect(viaEnv.code).toBe(2);
    expect(viaEnv.stderr).toContain('"gcs" storage driver');
  });

  it('an s3 config without credentials anywhere is a usage error naming where they come from; --keep-trash and restore are refused on S3', () => {
    const config = writeConfig(tempDir(), 'storage:\n  s3:\n    bucket: images\n    region: eu-west-1\n    regionendpoint: http://127.0.0.1:9\n');
    const noCredentials = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SHARED_CREDENTIALS_FILE: path.join(tempDir(), 'none') };
    const missing = runIn({ env: noCredentials }, '--dry-run', config);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no S3 credentials');
    const keyed = writeConfig(tempDir(), 'storage:\n  s3:\n    bucket: images\n    region: eu-west-1\n    regionendpoint: http://127.0.0.1:9\n    accesskey: a\n    secretkey: b\n');
    const keep = run('--keep-trash', keyed);
    expect(keep.code).toBe(2);
    expect(keep.stderr).toContain('there is no trash on S3');
    const restore = run('restore', keyed);
    expect(restore.code).toBe(2);
    expect(restore.stderr).toContain('enable bucket versioning');
    const purge = run('purge', keyed);
    expect(purge.code).toBe(0);
    expect(purge.stderr).toContain('nothing to free');
  });

  it('takes the upload age from uploadpurging; --upload-age and --keep-uploads win over it', () => {
    const root = copyTree(sample);
    const config = writeConfig(tempDir(), `storage:\n  filesystem:\n    rootdirectory: ${root}\n  maintenance:\n    uploadpurging:\n      age: 876000h\n`);
    const ids = (...args: string[]) => JSON.parse(run('--dry-run', '--json', ...args).stdout).uploads.deleted.map((u: { repository: string }) => u.repository);
    expect(ids(root)).toContain('team/service');
    expect(ids(config)).toEqual([]);
    expect(ids('--upload-age', '1h', config)).toContain('team/service');
    expect(ids('--keep-uploads', root)).toEqual([]);
    const bad = run('--upload-age', 'soon', root);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--upload-age must be a duration');
    expect(bad.stderr).not.toContain('uploadAge');
  });

  it('advises flushing the Redis that the config names, after a real run', () => {
    const root = copyTree(sample);
    const config = writeConfig(tempDir(), `storage:\n  filesystem:\n    rootdirectory: ${root}\n  cache:\n    blobdescriptor: redis\nredis:\n  addr: 127.0.0.1:6379\n  db: 1\n`);
    const { code, stdout } = run(config);
    expect(code).toBe(0);
    expect(stdout).toContain('restart the registry');
    expect(stdout).toContain('redis-cli -h 127.0.0.1 -p 6379 -n 1 FLUSHDB');
    const plain = run(copyTree(sample));
    expect(plain.stdout).toContain('if the registry caches blob descriptors in Redis');
    expect(plain.stdout).not.toContain('redis-cli');
  });
});

describe('registry-gc output', () => {
  it('--output FILE writes the JSON report while the terminal gets the human one', () => {
    const root = copyTree(sample);
    const file = path.join(tempDir(), 'report.json');
    const { code, stdout } = run('--dry-run', '--output', file, root);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^registry-gc dry run of /);
    const written = JSON.parse(fs.readFileSync(file, 'utf8'));
    const printed = JSON.parse(run('--dry-run', '--json', root).stdout);
    const { durations: _a, ...writtenRest } = written;
    const { durations: _b, ...printedRest } = printed;
    expect(writtenRest).toEqual(printedRest);
  });

  it('--output to a folder that does not exist fails before anything is deleted', () => {
    const root = copyTree(sample);
    const before = snapshot(root);
    const { code, stderr } = run('--output', path.join(tempDir(), 'missing', 'report.json'), root);
    expect(code).toBe(2);
    expect(stderr).toContain('cannot write --output');
    expect(snapshot(root)).toEqual(before);
  });

  it('--json keeps stdout one JSON object after a real run; the next steps go to stderr', () => {
    const { code, stdout, stderr } = run('--json', copyTree(sample));
    expect(code).toBe(0);
    expect(JSON.parse(stdout).dryRun).toBe(false);
    expect(stderr).toContain('restart the registry');
  });

  it('draws no progress when stderr is not a terminal', () => {
    const { code, stderr } = run('--dry-run', copyTree(sample));
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });

  it('draws one updating progress line on a terminal, erased before the summary', () => {
    const { code, output } = runInTerminal('--dry-run', copyTree(sample));
    expect(code).toBe(0);
    expect(output).toContain(`${CLEAR_LINE}registry-gc: scan `);
    expect(output).toMatch(/registry-gc: sweep-blobs \d+\/\d+ \d+%/);
    // The progress writes only \r-redraws on one line; the summary starts after a final erase.
    const beforeSummary = output.slice(0, output.indexOf('registry-gc dry run of'));
    expect(beforeSummary).not.toContain('\n');
    expect(beforeSummary.endsWith(CLEAR_LINE)).toBe(true);
  });

  it('--quiet draws no progress line, even on a terminal', () => {
    const { code, output } = runInTerminal('--dry-run', '--quiet', copyTree(sample));
    expect(code).toBe(0);
    expect(output).not.toContain(CLEAR_LINE);
    expect(output).not.toContain('registry-gc: scan');
    expect(output).toContain('registry-gc dry run of');
  });
});

describe('registry-gc CLI guards', () => {
  it('--min-age keeps what is young, --strict refuses a registry that looks alive', () => {
    const root = copyTree(sample);
    // Every file of the fresh copy was written just now: a day of minAge keeps every orphan.
    const young = JSON.parse(run('--dry-run', '--json', '--min-age', '24h', root).stdout);
    expect(young.blobs.deleted).toEqual([]);
    expect(young.blobs.keptForAge.map((b: { digest: string }) => b.digest)).toEqual(expected.default.blobs);
    const started = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const upload = path.join(root, 'docker/registry/v2/repositories/library/app/_uploads/in-flight');
    fs.mkdirSync(upload, { recursive: true });
    fs.writeFileSync(path.join(upload, 'startedat'), started);
    const before = snapshot(root);
    const strict = run('--strict', '--json', root);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.stdout).error.code).toBe('E_REGISTRY_ACTIVE');
    expect(snapshot(root)).toEqual(before);
    expect(run('--min-age', 'soon', root).code).toBe(2);
  });
});
