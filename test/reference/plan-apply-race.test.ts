/**
 * `plan -m` is a dry run made while the registry serves; `apply` runs later,
 * with the registry stopped. Whatever the registry wrote in between and that
 * aims at a planned item (a layer reused, a manifest re-pushed or re-tagged,
 * a mount, an upload, an index) must spare that item and what it references;
 * every other planned item must still go, or apply has merely given up.
 *
 * One fresh registry and tree per case (seedRaceScene, harness/pushes.ts):
 * victim X in app/web is the target of the case's one write; W (same
 * repository) and V (app/api) are victims nothing writes at. After apply
 * (--keep-trash) the registry is restarted on the same root and everything
 * that must be there is proven by pulling, digest by digest. The CLI runs
 * from dist/ (or RGC_CLI), as a process, like the other reference tests.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasDockerRegistry, startRegistry, type RunningRegistry } from '../../harness/registry-server.js';
import { indexManifest, randomLayer, RegistryClient, sha256 } from '../../harness/registry-client.js';
import {
  blobKey,
  blobStatus,
  closureOf,
  itemKeys,
  linkKey,
  makeImage,
  pathOfKey,
  pushBlobLikeClient,
  pushImageLikeClient,
  seedRaceScene,
  type ItemsJson,
  type RaceScene,
} from '../../harness/pushes.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { RACY_MS } from '../../src/plan/versions.js';
import { runRegistryGcCli } from '../support/differential.js';

interface PlanJson {
  items: ItemsJson;
}
interface ApplyJson {
  deleted: ItemsJson;
  skipped: { category: string; item: { repository?: string; digest?: string }; reason: string; message: string }[];
  notInPlan: ItemsJson;
  recheck: { mode: string; rescanned: string[] };
}

interface RaceCase {
  readonly name: string;
  /** The one write, made while the registry still serves the tree the plan was made of. */
  write(client: RegistryClient, s: RaceScene): Promise<void>;
  /** Planned items the write must spare; every other planned item must be deleted. */
  spared(s: RaceScene): string[];
  /** Checks after apply and restart, beyond "every kept image still pulls"; returns what went wrong. */
  verify(client: RegistryClient, s: RaceScene): Promise<string[]>;
  /** Tags the write moved: kept images are then pulled by digest only under them. */
  movedTags?: readonly string[];
}

/** Pulls `ref` and returns the sorted digests fetched, or the error: a failed pull must not hide the other checks. */
async function pulled(client: RegistryClient, repo: string, ref: string): Promise<string[] | string> {
  return client.pullImage(repo, ref).then((ds) => [...ds].sort(), (e: unknown) => `pull ${repo}:${ref} failed: ${(e as Error).message}`);
}

async function pullsWhole(client: RegistryClient, repo: string, ref: string, expected: readonly string[]): Promise<string[]> {
  const got = await pulled(client, repo, ref);
  return JSON.stringify(got) === JSON.stringify([...expected].sort()) ? [] : [`${repo}:${ref}: fetched ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`];
}

async function headIs200(client: RegistryClient, repo: string, digest: string): Promise<string[]> {
  const status = await blobStatus(client.baseUrl, repo, digest);
  return status === 200 ? [] : [`HEAD /v2/${repo}/blobs/${digest}: ${status}`];
}

const digestOfB = (s: RaceScene) => sha256(s.B);
/** B and its link in app/web: once B stays, its link is no longer `blob-deleted` and stays too. */
const bAndItsLink = (s: RaceScene) => [blobKey(digestOfB(s)), linkKey(s.REPO, digestOfB(s))];
/** Images the writes push (deterministic: the same seed gives the same bytes in write and verify). */
const imageZ = (s: RaceScene) => makeImage('Z', [s.B, randomLayer('z-own', 300)]);
const imageN = (s: RaceScene) => makeImage('N', [s.B]);

const CASES: RaceCase[] = [
  {
    name: '1. new image Z (new tag, same repo) reuses planned layer B, skipping its upload after HEAD 200',
    async write(client, s) {
      if (await pushBlobLikeClient(client, s.REPO, s.B)) throw new Error('HEAD did not find B: the scene is wrong');
      await pushImageLikeClient(client, s.REPO, 'z', imageZ(s));
    },
    spared: bAndItsLink,
    verify: (c, s) => pullsWhole(c, s.REPO, 'z', closureOf(imageZ(s))),
  },
  {
    name: '2. X re-pushed by digest (same bytes)',
    write: async (client, s) => void (await client.pushManifest(s.REPO, s.X.manifest.digest, s.X.manifest.bytes, s.X.manifest.mediaType)),
    spared: (s) => s.victim,
    verify: (c, s) => pullsWhole(c, s.REPO, s.X.manifest.digest, closureOf(s.X)),
  },
  {
    name: '3. tag t moved back to X',
    write: async (client, s) => void (await client.pushManifest(s.REPO, 't', s.X.manifest.bytes, s.X.manifest.mediaType)),
    spared: (s) => s.victim,
    verify: (c, s) => pullsWhole(c, s.REPO, 't', closureOf(s.X)),
    movedTags: ['app/web:t'],
  },
  {
    name: '4. new tag u pushed pointing at X',
    write: async (client, s) => void (await client.pushManifest(s.REPO, 'u', s.X.manifest.bytes, s.X.manifest.mediaType)),
    spared: (s) => s.victim,
    verify: (c, s) => pullsWhole(c, s.REPO, 'u', closureOf(s.X)),
  },
  {
    name: '5. planned blob B mounted into another repository',
    write: (client, s) => client.mountBlob(s.OTHER, digestOfB(s), s.REPO),
    spared: bAndItsLink,
    verify: (c, s) => headIs200(c, s.OTHER, digestOfB(s)),
  },
  {
    name: '6. B uploaded again (monolithic POST+PUT) into the repository that already links it',
    write: async (client, s) => void (await client.pushBlob(s.REPO, s.B)),
    spared: bAndItsLink,
    verify: (c, s) => headIs200(c, s.REPO, digestOfB(s)),
  },
  {
    name: '7. B uploaded into another repository (blob exists: only that link is new)',
    write: async (client, s) => void (await client.pushBlob(s.OTHER, s.B)),
    spared: bAndItsLink,
    verify: (c, s) => headIs200(c, s.OTHER, digestOfB(s)),
  },
  {
    name: '8. tagged image index pushed whose child is X',
    write: async (client, s) => {
      const index = indexManifest([s.X.manifest], 'docker');
      await client.pushManifest(s.REPO, 'multi', index.bytes, index.mediaType);
    },
    spared: (s) => s.victim,
    verify: (c, s) => pullsWhole(c, s.REPO, 'multi', [indexManifest([s.X.manifest], 'docker').digest, ...closureOf(s.X)]),
  },
  {
    name: '9. two writes: B mounted into another repository, then a tagged manifest there references it',
    async write(client, s) {
      await client.mountBlob(s.OTHER, digestOfB(s), s.REPO);
      await pushImageLikeClient(client, s.OTHER, 'n', imageN(s));
    },
    spared: bAndItsLink,
    verify: (c, s) => pullsWhole(c, s.OTHER, 'n', closureOf(imageN(s))),
  },
];

const NO_WRITE: RaceCase = { name: 'control', write: async () => undefined, spared: () => [], verify: async () => [] };

let planDir: string;
beforeAll(async () => {
  planDir = await mkdtemp(join(tmpdir(), 'registry-gc-race-plans-'));
});
afterAll(async () => {
  await rm(planDir, { recursive: true, force: true });
});

interface Outcome {
  s: RaceScene;
  apply: ApplyJson;
  deleted: string[];
  /** Failed pulls and case checks, after the restart. */
  problems: string[];
  /** Planned items whose file is still in the tree after apply (read before the root is removed). */
  onDisk: string[];
}

/** Seed, plan, write while serving, stop, apply, restart, pull. */
async function race(c: RaceCase, id: string): Promise<Outcome> {
  const registries: RunningRegistry[] = [];
  try {
    const registry = await startRegistry();
    registries.push(registry);
    const client = new RegistryClient(registry.url);
    const s = await seedRaceScene(client);
    // Past the window in which the plan cannot tell its own look from a write: without the pause every
    // repository would be scanned again, and the plan's decisions about unchanged ones never used.
    await sleep(RACY_MS + 200);
    const planFile = join(planDir, `${id}.json`);
    const plan = await runRegistryGcCli(['plan', '-m', registry.root, '-o', planFile, '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    // The scene is what the assertions are attributed to: if the plan differs, nothing below means anything.
    expect(itemKeys((plan.report as unknown as PlanJson).items)).toEqual(s.planned);

    await c.write(client, s);
    await registry.stop();
    const run = await runRegistryGcCli(['apply', planFile, registry.root, '--keep-trash', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const apply = run.report as unknown as ApplyJson;

    const restarted = await startRegistry({ root: registry.root });
    registries.push(restarted);
    const after = new RegistryClient(restarted.url);
    const problems: string[] = [];
    for (const k of s.kept) {
      problems.push(...(await pullsWhole(after, k.repo, k.image.manifest.digest, closureOf(k.image))));
      if (!c.movedTags?.includes(`${k.repo}:${k.tag}`)) problems.push(...(await pullsWhole(after, k.repo, k.tag, closureOf(k.image))));
    }
    problems.push(...(await c.verify(after, s)));
    const onDisk = s.planned.filter((k) => existsSync(pathOfKey(registry.root, k)));
    return { s, apply, deleted: itemKeys(apply.deleted), problems, onDisk };
  } finally {
    // Newest first: the first registry owns the root and removes it.
    for (const r of registries.reverse()) await r.destroy();
  }
}

const skippedOf = (apply: ApplyJson) =>
  apply.skipped.map((x) => `${x.category} ${x.item.repository === undefined ? '' : `${x.item.repository}@`}${x.item.digest ?? ''}: ${x.reason}`);

describe.skipIf(!hasDockerRegistry())('plan -m, writes while serving, then apply', () => {
  it('control: with no write in between, apply deletes exactly the plan', async () => {
    const { s, apply, deleted, problems, onDisk } = await race(NO_WRITE, 'control');
    expect.soft(deleted).toEqual(s.planned);
    expect.soft(onDisk, 'deleted items still in the tree').toEqual([]);
    expect.soft(skippedOf(apply)).toEqual([]);
    expect.soft(apply.recheck).toEqual({ mode: 'incremental', rescanned: [] });
    expect.soft(problems, 'kept images no longer pull').toEqual([]);
  });

  for (const [i, c] of CASES.entries()) {
    it(c.name, async () => {
      const { s, apply, deleted, problems, onDisk } = await race(c, `case-${i + 1}`);
      const spared = c.spared(s);
      const skipped = skippedOf(apply);
      // Soft: each facet is reported on its own, so one run says exactly which of them broke.
      expect.soft(spared.filter((k) => deleted.includes(k)), `the write needs these, apply deleted them (skipped: ${JSON.stringify(skipped)})`).toEqual([]);
      // On disk too (the files, not only the report): a wrong report must not hide a deletion.
      expect.soft(spared.filter((k) => !onDisk.includes(k)), 'spared items missing from the tree').toEqual([]);
      // The re-check must not just give up: what the write has nothing to do with still goes.
      expect.soft(s.unrelated.filter((k) => !deleted.includes(k)), `unrelated planned items kept (skipped: ${JSON.stringify(skipped)})`).toEqual([]);
      expect.soft(s.victim.filter((k) => !spared.includes(k) && !deleted.includes(k)), 'items of X the write does not need, kept').toEqual([]);
      expect.soft(problems, 'pulls after apply and restart').toEqual([]);
      // Only what the write touched is scanned again: app/api's items went on the plan's word.
      expect.soft(apply.recheck.mode).toBe('incremental');
      expect.soft(apply.recheck.rescanned.length > 0 && !apply.recheck.rescanned.includes('app/api'), JSON.stringify(apply.recheck)).toBe(true);
    });
  }
});
