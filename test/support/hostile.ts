/**
 * Shared by the hostile-tree tests (issue 5): a small registry with garbage
 * in it (so a run that wrongly went ahead would show), a run through a
 * recording fileSystem seam (with optional faults), and the two checks every
 * hostile case makes: the expected error or warning code, and the exact set
 * of files that changed, inside the root and outside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Digest } from '../../src/registry/digest.js';
import { RegistryGcError, type Problem } from '../../src/report/errors.js';
import { nodeFileSystem, type FileSystem } from '../../src/storage/file-system.js';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import type { CollectOptions } from '../../src/collect/options.js';
import type { Report } from '../../src/report/report.js';
import { changedPaths } from './crash-harness.js';
import { snapshot, tempDir, TreeBuilder, type Descriptor, type Image } from '../../harness/tree.js';

export const NOW = new Date('2026-11-29T12:00:00Z');

export interface HostileTree {
  readonly t: TreeBuilder;
  /** `app:v1`, kept. */
  readonly a: Image;
  /** Untagged in `app`: `-m` deletes it unless something makes `app` uncertain. */
  readonly ua: Image;
  /** `other:v1`, kept. */
  readonly b: Image;
  /** Untagged in `other`: `-m` deletes it. */
  readonly ub: Image;
  readonly orphan: Descriptor;
  /** A folder outside the root with sentinel files (an `etc/passwd` among them). */
  readonly outside: string;
}

export function hostileTree(): HostileTree {
  const t = new TreeBuilder(tempDir('registry-gc-hostile-'));
  const outside = tempDir('registry-gc-outside-');
  fs.mkdirSync(path.join(outside, 'etc'));
  fs.writeFileSync(path.join(outside, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(outside, 'sentinel'), 'must survive');
  return {
    t,
    a: t.image('app', { tag: 'v1' }),
    ua: t.image('app'),
    b: t.image('other', { tag: 'v1' }),
    ub: t.image('other'),
    orphan: t.blob('an orphan blob: garbage in every mode'),
    outside,
  };
}

/** Absolute folders that go when an untagged image is collected: revision, blobs, and its now dangling layer links. */
export function imageFolders(t: TreeBuilder, repo: string, image: Image): string[] {
  return [
    t.layout.revisionDir(repo, image.manifest.digest),
    ...[image.manifest, image.config, ...image.layers].map((d) => t.layout.blobDir(d.digest)),
    ...[image.config, ...image.layers].map((d) => t.layout.layerLinkDir(repo, d.digest)),
  ];
}

/** What a `-m` run on an unspoilt hostile tree deletes: the orphan and both untagged images. */
export function usualGarbage(h: HostileTree, options: { keepApp?: boolean } = {}): string[] {
  return [h.t.layout.blobDir(h.orphan.digest), ...imageFolders(h.t, 'other', h.ub), ...(options.keepApp ? [] : imageFolders(h.t, 'app', h.ua))];
}

/** Replaces a file with other content, a directory (holding a sentinel, so its removal shows), or removes nothing. */
export function overwrite(file: string, content: string | Buffer | { directory: true }): void {
  fs.rmSync(file, { force: true, recursive: true });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (typeof content === 'object' && !Buffer.isBuffer(content)) {
    fs.mkdirSync(file);
    fs.writeFileSync(path.join(file, 'sentinel'), 'a file inside the folder that stands where a link should be');
  } else fs.writeFileSync(file, content);
}

export interface Call {
  readonly op: string;
  readonly target: string;
}

export interface Outcome {
  readonly report: Report | undefined;
  readonly error: RegistryGcError | undefined;
  /** Anything else the run threw: never expected, a run must fail with a RegistryGcError. */
  readonly unexpected: unknown;
  readonly calls: readonly Call[];
  /** Codes of warnings, problems and deletion errors, each `code path`. */
  readonly findings: readonly string[];
}

export type Fault = (op: string, target: string) => string | undefined;

const errno = (code: string, op: string, target: string) => Object.assign(new Error(`${code}: injected, ${op} '${target}'`), { code });

/** Wraps every method of the node seam: records each call, and throws the errno `fault` names. */
export function recordingFs(calls: Call[], fault: Fault = () => undefined): FileSystem {
  const base = nodeFileSystem as unknown as Record<string, (...args: unknown[]) => unknown>;
  return Object.fromEntries(
    Object.entries(base).map(([op, fn]) => [
      op,
      (...args: unknown[]) => {
        const target = String(args[0]);
        calls.push({ op, target });
        const code = fault(op, target);
        if (code) throw errno(code, op, target);
        return fn.apply(nodeFileSystem, args);
      },
    ]),
  ) as unknown as FileSystem;
}

export async function runGc(root: string, options: CollectOptions & { fault?: Fault } = {}): Promise<Outcome> {
  const calls: Call[] = [];
  const { fault, ...rest } = options;
  let report: Report | undefined;
  let error: RegistryGcError | undefined;
  let unexpected: unknown;
  try {
    report = await collectGarbage(root, { deleteUntagged: true, now: NOW, ...rest, fileSystem: recordingFs(calls, fault) });
  } catch (e) {
    if (e instanceof RegistryGcError) error = e;
    else unexpected = e;
  }
  const all: Problem[] = [...(report?.warnings ?? []), ...(report?.errors ?? []), ...(error?.problems ?? [])];
  return { report, error, unexpected, calls, findings: all.map((p) => `${p.code} ${p.path}`) };
}

/** Root-relative path, as problems name them. */
export function rel(t: TreeBuilder, target: string): string {
  return t.layout.relative(target);
}

/** Asserts a finding with `code`, about the root-relative `where` when given. */
export function expectFinding(outcome: Outcome, code: string, where?: string): void {
  const match = outcome.findings.some((f) => (where === undefined ? f.startsWith(`${code} `) : f === `${code} ${where}`));
  expect(match, `expected "${code} ${where ?? '…'}" among ${JSON.stringify(outcome.findings)} (error: ${outcome.error?.message ?? 'none'})`).toBe(true);
}

/**
 * Counts hostile inputs and files wrongly touched for one test file; `check`
 * compares the tree (and the outside folders) before and after a run.
 */
export class HostileTally {
  tried = 0;
  wronglyTouched = 0;

  constructor(private readonly label: string) {}

  /** Snapshots `root` and `outside`; the returned function asserts that exactly the files under `allowed` folders changed. */
  watch(root: string, ...outside: string[]): (allowed?: readonly string[]) => void {
    this.tried++;
    const before = snapshot(root);
    const beforeOutside = outside.map((dir) => snapshot(dir));
    return (allowed = []) => {
      const after = snapshot(root);
      const changed = changedPaths(before, after);
      const inAllowed = (file: string) => allowed.some((dir) => path.join(root, file).startsWith(`${dir}${path.sep}`) || path.join(root, file) === dir);
      const wrong = changed.filter((file) => !inAllowed(file));
      const outsideChanged = outside.flatMap((dir, i) => changedPaths(beforeOutside[i]!, snapshot(dir)).map((f) => path.join(dir, f)));
      this.wronglyTouched += wrong.length + outsideChanged.length;
      expect(wrong, 'files changed that the spec does not allow to change').toEqual([]);
      expect(outsideChanged, 'files outside the root changed').toEqual([]);
      const expected = [...before.keys()].filter(inAllowed).sort();
      expect(changed, 'the files the spec says go').toEqual(expected);
    };
  }

  log(): void {
    console.log(`${this.label}: hostile inputs tried: ${this.tried}, files wrongly touched: ${this.wronglyTouched}`);
  }
}

/** Calls that went through a symbolic link: their folder (or, for a listing, the folder itself) resolves outside `root`. */
export function callsThroughLinks(root: string, calls: readonly Call[]): string[] {
  const real = fs.realpathSync(root);
  const inside = (p: string) => p === real || p.startsWith(`${real}${path.sep}`);
  const resolve = (p: string): string => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.join(resolve(path.dirname(p)), path.basename(p));
    }
  };
  return calls
    .filter(({ op, target }) => !inside(resolve(op === 'list' ? target : path.dirname(target))))
    .map(({ op, target }) => `${op} ${path.relative(root, target)}`);
}

export const hex = (d: Descriptor | Digest): string => (typeof d === 'string' ? d : d.digest).slice('sha256:'.length);
