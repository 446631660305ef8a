/**
 * Runs the reference collector (`docker-registry garbage-collect`, Debian
 * 2.8.2) and parses what it prints, so that tests can compare our collector's
 * decisions with the reference's on the same tree.
 *
 * Flags (from `docker-registry garbage-collect --help`):
 *   -d, --dry-run          do everything except remove the blobs
 *   -m, --delete-untagged  delete manifests that are not currently referenced via tag
 *
 * Stdout of 2.8.2, as observed on trees written by `docker-registry serve`
 * (same lines with and without --dry-run; <d> is "sha256:<hex>"):
 *
 *   team/app                                              one per repository, before its own lines
 *   team/app: marking manifest <d>␠                       note the trailing space
 *   team/app: marking blob <d>
 *   manifest eligible for deletion: <d>                   -m only; no repository, see below
 *                                                         (one empty line)
 *   7 blobs marked, 2 blobs and 0 manifests eligible for deletion
 *   blob eligible for deletion: <d>                       in random order (a Go map)
 *
 * The manifest line names no repository, so it is attributed to the last
 * bare repository line before it: 2.8.2 marks one repository at a time and
 * prints the name first. Repository lines are printed even for repositories
 * with no manifests (e.g. one that only has `_layers` from a mount); a
 * directory with only `_uploads` is not listed at all.
 *
 * On failure it prints "failed to garbage collect: <reason>" on stderr and
 * exits 1 (e.g. "... failed to mark: filesystem: filesystem: failed to
 * retrieve tags for digest sha256:…: invalid checksum digest format" for a
 * tag link holding garbage under -m).
 *
 * The counts on the summary line are checked against the parsed lines, so a
 * change of format in another version fails loudly instead of silently
 * yielding empty lists.
 */
import { spawn } from 'node:child_process';
import { REGISTRY_BINARY, registryEnv } from './registry-server.js';

export interface ReferenceGcOptions {
  dryRun: boolean;
  deleteUntagged: boolean;
  /** @default 60_000 */
  timeoutMs?: number;
}

export interface ReferenceManifest {
  /** Undefined only if a manifest line came before any repository line (never seen in 2.8.2). */
  repository?: string;
  digest: string;
}

export interface ReferenceGcResult {
  /** Blobs eligible for deletion (deleted unless dry-run): sorted, unique. */
  blobs: string[];
  /** Untagged manifests eligible for deletion (-m only): sorted by repository, then digest. */
  manifests: ReferenceManifest[];
  /** Every blob the reference marked (manifest and blob lines alike): sorted, unique. */
  marked: string[];
  /** Repositories in the order the reference walked them. */
  repositories: string[];
  /** Lines of stdout matching no known format; a test should expect []. */
  unrecognized: string[];
  stdout: string;
  stderr: string;
  exitCode: number;
}

const DIGEST = String.raw`([a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+)`;
const REPO = String.raw`([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)`;

const PATTERNS = {
  repository: new RegExp(`^${REPO}$`),
  markManifest: new RegExp(`^${REPO}: marking manifest ${DIGEST} ?$`),
  markBlob: new RegExp(`^${REPO}: marking blob ${DIGEST}$`),
  manifest: new RegExp(`^manifest eligible for deletion: ${DIGEST}$`),
  blob: new RegExp(`^blob eligible for deletion: ${DIGEST}$`),
  summary: /^(\d+) blobs marked, (\d+) blobs and (\d+) manifests eligible for deletion$/,
};

export function parseReferenceOutput(stdout: string): Omit<ReferenceGcResult, 'stdout' | 'stderr' | 'exitCode'> {
  const blobs = new Set<string>();
  const marked = new Set<string>();
  const manifests = new Map<string, ReferenceManifest>();
  const repositories: string[] = [];
  const unrecognized: string[] = [];
  let current: string | undefined;
  let summary: [number, number, number] | undefined;
  for (const line of stdout.split('\n')) {
    let m: RegExpExecArray | null;
    if (line === '') continue;
    if ((m = PATTERNS.repository.exec(line)) && m[1] !== undefined) {
      current = m[1];
      repositories.push(current);
    } else if ((m = PATTERNS.markManifest.exec(line) ?? PATTERNS.markBlob.exec(line)) && m[2] !== undefined) {
      marked.add(m[2]);
    } else if ((m = PATTERNS.manifest.exec(line)) && m[1] !== undefined) {
      const entry: ReferenceManifest = current === undefined ? { digest: m[1] } : { repository: current, digest: m[1] };
      manifests.set(`${current ?? ''}@${m[1]}`, entry);
    } else if ((m = PATTERNS.blob.exec(line)) && m[1] !== undefined) {
      blobs.add(m[1]);
    } else if ((m = PATTERNS.summary.exec(line))) {
      summary = [Number(m[1]), Number(m[2]), Number(m[3])];
    } else {
      unrecognized.push(line);
    }
  }
  if (summary !== undefined) {
    const parsed: [number, number, number] = [marked.size, blobs.size, manifests.size];
    if (parsed.some((n, i) => n !== summary?.[i])) {
      throw new Error(
        `reference gc summary says ${summary.join('/')} (marked/blobs/manifests) but ${parsed.join('/')} were parsed; has the output format changed?\n${stdout}`,
      );
    }
  }
  const byRepoThenDigest = (a: ReferenceManifest, b: ReferenceManifest): number =>
    (a.repository ?? '').localeCompare(b.repository ?? '') || a.digest.localeCompare(b.digest);
  return {
    blobs: [...blobs].sort(),
    manifests: [...manifests.values()].sort(byRepoThenDigest),
    marked: [...marked].sort(),
    repositories,
    unrecognized,
  };
}

export async function runReferenceGc(configPath: string, options: ReferenceGcOptions): Promise<ReferenceGcResult> {
  const args = ['garbage-collect'];
  if (options.dryRun) args.push('--dry-run');
  if (options.deleteUntagged) args.push('--delete-untagged');
  args.push(configPath);
  // REGISTRY_* variables would override the config file (even its rootdirectory).
  const child = spawn(REGISTRY_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'], env: registryEnv() });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const exitCode = await new Promise<number>((resolve, reject) => {
    // A hung reference must fail the test, not hang the suite.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`docker-registry ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // 'close', not 'exit': only then has all of stdout been read.
    child.once('close', (code) => {
      clearTimeout(timer);
      // Killed by a signal: no exit code, and no run to trust either.
      resolve(code ?? -1);
    });
  });
  // A failed run stops mid-way, so its summary is missing: parse what there is.
  return { ...parseReferenceOutput(stdout), stdout, stderr, exitCode };
}
