/**
 * Tests of the differential-test harness itself, against the real registry:
 * that `docker-registry serve` writes the tree the spec (§1) describes, that
 * the client can push and pull every manifest kind we need, and that the
 * reference collector's output is parsed into exactly what it decided.
 * Everything here runs against Debian's docker-registry 2.8.2; without the
 * binary the suite is skipped, visibly.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MediaTypes,
  RegistryClient,
  RegistryHttpError,
  imageConfig,
  imageManifest,
  indexManifest,
  randomLayer,
  sha256,
  type BuiltManifest,
} from '../../harness/registry-client.js';
import { hasDockerRegistry, startRegistry, type RunningRegistry } from '../../harness/registry-server.js';
import { runReferenceGc } from '../../harness/reference-gc.js';

const V2 = 'docker/registry/v2';
const TEST_TIMEOUT_MS = 20_000;

// Paths spelled out independently of src/layout.ts: the harness checks the
// registry against the spec, not against the code under test.
const hexOf = (digest: string): string => digest.slice('sha256:'.length);
const blobData = (d: string): string => `${V2}/blobs/sha256/${hexOf(d).slice(0, 2)}/${hexOf(d)}/data`;
const blobDir = (d: string): string => `${V2}/blobs/sha256/${hexOf(d).slice(0, 2)}/${hexOf(d)}`;
const repoDir = (repo: string): string => `${V2}/repositories/${repo}`;
const layerLink = (repo: string, d: string): string => `${repoDir(repo)}/_layers/sha256/${hexOf(d)}/link`;
const revisionDir = (repo: string, d: string): string => `${repoDir(repo)}/_manifests/revisions/sha256/${hexOf(d)}`;
const revisionLink = (repo: string, d: string): string => `${revisionDir(repo, d)}/link`;
const tagDir = (repo: string, tag: string): string => `${repoDir(repo)}/_manifests/tags/${tag}`;
const tagCurrent = (repo: string, tag: string): string => `${tagDir(repo, tag)}/current/link`;
const tagIndex = (repo: string, tag: string, d: string): string => `${tagDir(repo, tag)}/index/sha256/${hexOf(d)}/link`;

/** Every regular file under `root`, relative and sorted; plus the directories left empty. */
function listTree(root: string): { files: string[]; emptyDirs: string[] } {
  const files: string[] = [];
  const emptyDirs: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.length === 0) emptyDirs.push(relative(root, dir));
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else files.push(relative(root, path));
    }
  };
  walk(root);
  return { files: files.sort(), emptyDirs: emptyDirs.sort() };
}

const read = (root: string, path: string): string => readFileSync(join(root, path), 'utf8');
const sorted = (xs: readonly string[]): string[] => [...xs].sort();
const digests = (...ms: readonly (BuiltManifest | Uint8Array)[]): string[] =>
  ms.map((m) => (m instanceof Uint8Array ? sha256(m) : m.digest));

const running: RunningRegistry[] = [];
async function start(root?: string): Promise<RunningRegistry> {
  const registry = await startRegistry(root === undefined ? {} : { root });
  running.push(registry);
  return registry;
}

/**
 * One repository holding every case the collectors disagree on: a multi-arch
 * OCI index whose children are reachable only through it, a referrer of that
 * index, a retagged tag, a manifest deleted through the API, a mount-only
 * repository, and an abandoned upload.
 */
async function buildScenario(client: RegistryClient) {
  const repo = 'team/app';
  const blob = {
    ociConfig: imageConfig('oci'),
    ociBase: randomLayer('oci-base', 3000),
    amd: randomLayer('amd', 1500),
    arm: randomLayer('arm', 1600),
    emptyConfig: new TextEncoder().encode('{}'),
    sbom: randomLayer('sbom', 400),
    dockerBase: randomLayer('docker-base', 2500),
    oldConfig: imageConfig('old'),
    oldLayer: randomLayer('old', 1200),
    newConfig: imageConfig('new'),
    newLayer: randomLayer('new', 1300),
    doomedConfig: imageConfig('doomed'),
    doomedLayer: randomLayer('doomed', 1100),
  };
  for (const bytes of Object.values(blob)) await client.pushBlob(repo, bytes);

  const childAmd = imageManifest({ config: blob.ociConfig, layers: [blob.ociBase, blob.amd], mediaType: 'oci' });
  const childArm = imageManifest({ config: blob.ociConfig, layers: [blob.ociBase, blob.arm], mediaType: 'oci' });
  const index = indexManifest([childAmd, childArm], 'oci');
  const referrer = imageManifest({
    config: blob.emptyConfig,
    configMediaType: 'application/vnd.oci.empty.v1+json',
    layers: [blob.sbom],
    mediaType: 'oci',
    artifactType: 'application/vnd.example.sbom.v1+json',
    subject: index,
  });
  const oldImage = imageManifest({ config: blob.oldConfig, layers: [blob.dockerBase, blob.oldLayer] });
  const newImage = imageManifest({ config: blob.newConfig, layers: [blob.dockerBase, blob.newLayer] });
  const doomed = imageManifest({ config: blob.doomedConfig, layers: [blob.dockerBase, blob.doomedLayer] });

  for (const child of [childAmd, childArm]) await client.pushManifest(repo, child.digest, child.bytes, child.mediaType);
  await client.pushManifest(repo, 'multi', index.bytes, index.mediaType);
  await client.pushManifest(repo, referrer.digest, referrer.bytes, referrer.mediaType);
  await client.pushManifest(repo, 'v1', oldImage.bytes, oldImage.mediaType);
  // Retag: v1 moves on, and "latest" names the same manifest as v1.
  await client.pushManifest(repo, 'v1', newImage.bytes, newImage.mediaType);
  await client.pushManifest(repo, 'latest', newImage.bytes, newImage.mediaType);
  await client.pushManifest(repo, 'doomed', doomed.bytes, doomed.mediaType);
  await client.deleteManifest(repo, doomed.digest);
  // A layer link alone (a mount) must not keep a blob: nothing references it.
  await client.mountBlob('team/mirror', sha256(blob.doomedLayer), repo);

  const abandonedBytes = randomLayer('abandoned', 777);
  const upload = await client.startUpload(repo);
  await client.patchUpload(upload.location, abandonedBytes);

  return { repo, blob, childAmd, childArm, index, referrer, oldImage, newImage, doomed, upload, abandonedBytes };
}

describe.skipIf(!hasDockerRegistry())('real docker-registry 2.8.2 (differential-test harness)', () => {
  afterEach(async () => {
    // Newest first and one at a time: a restarted registry must be stopped
    // before the registry that created the shared root removes it.
    for (const registry of running.splice(0).reverse()) await registry.destroy();
  });

  it(
    'pushes and pulls a Docker schema2 image and writes exactly the files spec §1 lists',
    async () => {
      const registry = await start();
      const client = new RegistryClient(registry.url);
      const repo = 'team/app';
      const config = imageConfig('a');
      const layers = [randomLayer('layer-1', 4096), randomLayer('layer-2', 10_000)];
      for (const bytes of [config, ...layers]) await client.pushBlob(repo, bytes);
      const manifest = imageManifest({ config, layers });
      expect(await client.pushManifest(repo, 'v1', manifest.bytes, MediaTypes.dockerManifest)).toBe(manifest.digest);

      const blobDigests = digests(config, ...layers);
      expect(await client.pullImage(repo, 'v1')).toEqual([manifest.digest, ...blobDigests]);
      expect(await client.pullImage(repo, manifest.digest)).toEqual([manifest.digest, ...blobDigests]);
      expect(await client.listTags(repo)).toEqual(['v1']);
      const fetched = await client.getManifest(repo, 'v1');
      expect(fetched).toEqual({ bytes: manifest.bytes, mediaType: MediaTypes.dockerManifest, digest: manifest.digest });

      const { files, emptyDirs } = listTree(registry.root);
      expect(files).toEqual(
        sorted([
          ...[manifest.digest, ...blobDigests].map(blobData),
          // The manifest itself gets no layer link: only config and layers do.
          ...blobDigests.map((d) => layerLink(repo, d)),
          revisionLink(repo, manifest.digest),
          tagCurrent(repo, 'v1'),
          tagIndex(repo, 'v1', manifest.digest),
        ]),
      );
      // Finished uploads are cleaned up, but their parent directory stays.
      expect(emptyDirs).toEqual([`${repoDir(repo)}/_uploads`]);
      // Every link holds the bare digest, without a trailing newline.
      for (const d of blobDigests) expect(read(registry.root, layerLink(repo, d))).toBe(d);
      for (const path of [revisionLink(repo, manifest.digest), tagCurrent(repo, 'v1'), tagIndex(repo, 'v1', manifest.digest)]) {
        expect(read(registry.root, path)).toBe(manifest.digest);
      }
      for (const bytes of [config, ...layers, manifest.bytes]) {
        expect(new Uint8Array(readFileSync(join(registry.root, blobData(sha256(bytes)))))).toEqual(bytes);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'records retags, API deletes, mounts and abandoned uploads on disk as the collector will find them',
    async () => {
      const registry = await start();
      const client = new RegistryClient(registry.url);
      const s = await buildScenario(client);
      const { repo } = s;

      const b = s.blob;
      expect(await client.pullImage(repo, 'multi')).toEqual(digests(s.index, s.childAmd, b.ociConfig, b.ociBase, b.amd, s.childArm, b.arm));
      // Pulling a referrer does not pull its subject.
      expect(await client.pullImage(repo, s.referrer.digest)).toEqual(digests(s.referrer, b.emptyConfig, b.sbom));
      expect(await client.pullImage(repo, 'v1')).toEqual(digests(s.newImage, b.newConfig, b.dockerBase, b.newLayer));
      // Untagged is not deleted: the old image is still served by digest.
      expect(await client.pullImage(repo, s.oldImage.digest)).toEqual(digests(s.oldImage, b.oldConfig, b.dockerBase, b.oldLayer));
      await expect(client.getManifest(repo, s.doomed.digest)).rejects.toMatchObject({ status: 404 });
      expect(await client.listTags(repo)).toEqual(['latest', 'multi', 'v1']);
      await registry.stop();

      const root = registry.root;
      // DELETE removes only the revision's link, leaving an empty directory,
      // and untags every tag that pointed at it (the whole tag directory goes).
      expect(readdirSync(join(root, revisionDir(repo, s.doomed.digest)))).toEqual([]);
      expect(existsSync(join(root, tagDir(repo, 'doomed')))).toBe(false);
      expect(existsSync(join(root, blobData(s.doomed.digest)))).toBe(true);
      // A retag rewrites current/link and adds to the tag's index; nothing is removed.
      expect(read(root, tagCurrent(repo, 'v1'))).toBe(s.newImage.digest);
      expect(existsSync(join(root, tagIndex(repo, 'v1', s.oldImage.digest)))).toBe(true);
      expect(existsSync(join(root, tagIndex(repo, 'v1', s.newImage.digest)))).toBe(true);
      expect(read(root, tagCurrent(repo, 'latest'))).toBe(s.newImage.digest);
      for (const m of [s.childAmd, s.childArm, s.index, s.referrer, s.oldImage, s.newImage]) {
        expect(read(root, revisionLink(repo, m.digest))).toBe(m.digest);
        expect(existsSync(join(root, layerLink(repo, m.digest)))).toBe(false);
      }
      expect(listTree(join(root, repoDir('team/mirror'))).files).toEqual([`_layers/sha256/${hexOf(sha256(b.doomedLayer))}/link`]);

      const uploadDir = join(root, repoDir(repo), '_uploads', s.upload.id);
      expect(listTree(uploadDir).files).toEqual(['data', 'hashstates/sha256/0', `hashstates/sha256/${s.abandonedBytes.length}`, 'startedat']);
      expect(new Uint8Array(readFileSync(join(uploadDir, 'data')))).toEqual(s.abandonedBytes);
      // RFC 3339, UTC, whole seconds, no newline: what spec §1 says the collector parses.
      const startedAt = readFileSync(join(uploadDir, 'startedat'), 'utf8');
      expect(startedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(Math.abs(Date.parse(startedAt) - Date.now())).toBeLessThan(60_000);
      expect(statSync(join(uploadDir, 'hashstates/sha256/0')).size).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'parses the reference dry-run, with and without -m, into exactly what it decided',
    async () => {
      const registry = await start();
      const s = await buildScenario(new RegistryClient(registry.url));
      await registry.stop();
      const before = listTree(registry.root);
      const b = s.blob;

      const plain = await runReferenceGc(registry.configPath, { dryRun: true, deleteUntagged: false });
      expect(plain).toMatchObject({ exitCode: 0, unrecognized: [], manifests: [], repositories: ['team/app', 'team/mirror'] });
      // Every revision with a link is a root; only the API-deleted image goes,
      // its unique layer too, although team/mirror still links it.
      expect(plain.blobs).toEqual(sorted(digests(s.doomed, b.doomedConfig, b.doomedLayer)));
      const everyBlob = sorted([...Object.values(b).map(sha256), ...digests(s.childAmd, s.childArm, s.index, s.referrer, s.oldImage, s.newImage, s.doomed)]);
      expect(plain.marked).toEqual(everyBlob.filter((d) => !plain.blobs.includes(d)));

      const untagged = await runReferenceGc(registry.configPath, { dryRun: true, deleteUntagged: true });
      expect(untagged).toMatchObject({ exitCode: 0, unrecognized: [], repositories: ['team/app', 'team/mirror'] });
      // The reference's known bug (distribution #3178): the index is tagged, but
      // its children are untagged, so -m deletes them and their layers. It
      // marks only the children's manifest blobs, not what they reference.
      // The referrer of the tagged index goes too.
      expect(untagged.manifests).toEqual(
        sorted(digests(s.childAmd, s.childArm, s.referrer, s.oldImage)).map((digest) => ({ repository: 'team/app', digest })),
      );
      expect(untagged.marked).toEqual(sorted(digests(s.index, s.childAmd, s.childArm, s.newImage, b.newConfig, b.dockerBase, b.newLayer)));
      expect(untagged.blobs).toEqual(everyBlob.filter((d) => !untagged.marked.includes(d)));
      expect(untagged.blobs).toEqual(
        expect.arrayContaining(digests(b.ociConfig, b.ociBase, b.amd, b.arm, s.referrer, b.sbom, s.oldImage, b.oldLayer, s.doomed, b.doomedLayer)),
      );

      // A dry run touches nothing, the abandoned upload included.
      expect(listTree(registry.root)).toEqual(before);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a real reference -m run deletes what its dry run listed and breaks the multi-arch image (#3178)',
    async () => {
      const registry = await start();
      const s = await buildScenario(new RegistryClient(registry.url));
      await registry.stop();
      const root = registry.root;
      const b = s.blob;

      const dry = await runReferenceGc(registry.configPath, { dryRun: true, deleteUntagged: true });
      const real = await runReferenceGc(registry.configPath, { dryRun: false, deleteUntagged: true });
      expect(real).toMatchObject({ exitCode: 0, unrecognized: [], blobs: dry.blobs, manifests: dry.manifests, marked: dry.marked });
      for (const d of real.blobs) expect(existsSync(join(root, blobDir(d)))).toBe(false);
      // It removes <xx>/<hex> only; emptied <xx> prefix directories stay.
      for (const d of real.blobs) expect(existsSync(join(root, blobDir(d), '..'))).toBe(true);
      for (const d of real.marked) expect(existsSync(join(root, blobData(d)))).toBe(true);
      // Untagged revisions go as whole directories, with their tag-history entries.
      for (const { digest } of real.manifests) expect(existsSync(join(root, revisionDir(s.repo, digest)))).toBe(false);
      expect(existsSync(join(root, tagIndex(s.repo, 'v1', s.oldImage.digest)))).toBe(false);
      expect(read(root, tagIndex(s.repo, 'v1', s.newImage.digest))).toBe(s.newImage.digest);
      // Left behind: the API-deleted revision's empty directory, layer links to
      // deleted blobs, and the abandoned upload (uploads are not its business).
      expect(readdirSync(join(root, revisionDir(s.repo, s.doomed.digest)))).toEqual([]);
      expect(read(root, layerLink(s.repo, sha256(b.amd)))).toBe(sha256(b.amd));
      expect(read(root, layerLink('team/mirror', sha256(b.doomedLayer)))).toBe(sha256(b.doomedLayer));
      expect(existsSync(join(root, repoDir(s.repo), '_uploads', s.upload.id, 'data'))).toBe(true);

      const again = await start(root);
      const client = new RegistryClient(again.url);
      expect(await client.pullImage(s.repo, 'latest')).toEqual(digests(s.newImage, b.newConfig, b.dockerBase, b.newLayer));
      // The tagged index is still served, but its first child no longer is.
      const broken = await client.pullImage(s.repo, 'multi').then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(broken).toBeInstanceOf(RegistryHttpError);
      expect(broken).toMatchObject({ status: 404, url: `${again.url}/v2/${s.repo}/manifests/${s.childAmd.digest}` });
      expect((await client.getManifest(s.repo, 'multi')).digest).toBe(s.index.digest);
    },
    TEST_TIMEOUT_MS,
  );
});
