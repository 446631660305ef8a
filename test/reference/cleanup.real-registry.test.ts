/**
 * Issue 3's bar, on a tree the real registry wrote: after one run with -m and
 * every cleanup option, no dangling layer link, no stale upload, no dead
 * tag-history entry, no empty repository; and the restarted registry serves
 * every tagged image, verified digest by digest.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/collect/collect-garbage.js';
import { RegistryLayout } from '../../src/registry/layout.js';
import { readRepository, listRepositories } from '../../src/scan/model.js';
import { hasDockerRegistry, startRegistry, type RunningRegistry } from '../../harness/registry-server.js';
import { imageConfig, imageManifest, indexManifest, randomLayer, RegistryClient } from '../../harness/registry-client.js';

const running: RunningRegistry[] = [];
afterAll(async () => {
  for (const registry of running) await registry.destroy();
});

async function pushImage(client: RegistryClient, repo: string, seed: string, tag?: string) {
  const config = imageConfig(seed);
  const layers = [randomLayer(`${seed}-1`, 2048), randomLayer(`${seed}-2`, 512)];
  for (const blob of [config, ...layers]) await client.pushBlob(repo, blob);
  const manifest = imageManifest({ config, layers });
  await client.pushManifest(repo, tag ?? manifest.digest, manifest.bytes, manifest.mediaType);
  return manifest;
}

describe.skipIf(!hasDockerRegistry())('cleanup on a tree written by the real registry', () => {
  it('leaves nothing behind, and the registry still serves every tagged image', async () => {
    const registry = await startRegistry();
    running.push(registry);
    const client = new RegistryClient(registry.url);
    const tagged: Array<[string, string]> = [];

    // Retagged: `latest` moves from v1 to v2, so v1 is untagged.
    await pushImage(client, 'team/app', 'app-v1', 'latest');
    const v2 = await pushImage(client, 'team/app', 'app-v2', 'latest');
    tagged.push(['team/app', 'latest']);
    await pushImage(client, 'team/app', 'app-v3', 'next');
    tagged.push(['team/app', 'next']);
    // A multi-arch image whose children were pushed by digest only.
    const amd = await pushImage(client, 'team/multi', 'multi-amd');
    const arm = await pushImage(client, 'team/multi', 'multi-arm');
    const index = indexManifest([amd, arm], 'oci');
    await client.pushManifest('team/multi', 'latest', index.bytes, index.mediaType);
    tagged.push(['team/multi', 'latest']);
    // Deleted through the API: an image of team/app, and the only image of team/gone.
    const doomed = await pushImage(client, 'team/app', 'app-doomed', 'doomed');
    await client.deleteManifest('team/app', doomed.digest);
    const gone = await pushImage(client, 'team/gone', 'gone', 'v1');
    await client.deleteManifest('team/gone', gone.digest);
    // Uploads: two abandoned pushes; one will be made stale on disk.
    const stale = await client.startUpload('team/app');
    await client.patchUpload(stale.location, randomLayer('half', 4096));
    const fresh = await client.startUpload('team/multi');
    await client.patchUpload(fresh.location, randomLayer('half-fresh', 100));
    await registry.stop();

    const layout = new RegistryLayout(registry.root);
    fs.writeFileSync(layout.uploadStartedAt('team/app', stale.id), '2026-01-01T00:00:00Z');

    const report = await collectGarbage(registry.root, { deleteUntagged: true, removeEmptyRepositories: true });
    expect(report.uploads.deleted.map((u) => u.id)).toEqual([stale.id]);
    expect(report.uploads.deleted[0]!.size).toBeGreaterThanOrEqual(4096);
    expect(report.repositories.deleted).toEqual([{ repository: 'team/gone' }]);
    expect(report.manifests.deleted.map((m) => m.digest)).not.toContain(v2.digest);
    expect(report.errors).toEqual([]);

    // Nothing left behind.
    const cutoff = Date.now() - 168 * 3_600_000;
    for (const name of listRepositories(registry.root).value) {
      const repo = readRepository(registry.root, name).value;
      for (const digest of repo.layers) expect(fs.existsSync(layout.blobData(digest)), `${name} link ${digest}`).toBe(true);
      for (const id of repo.uploads) expect(Date.parse(fs.readFileSync(layout.uploadStartedAt(name, id), 'utf8'))).toBeGreaterThan(cutoff);
      for (const tag of repo.tags) {
        for (const digest of tag.history) expect(repo.revisions.includes(digest) || digest === tag.current, `${name}:${tag.name} history ${digest}`).toBe(true);
      }
      expect(repo.tags.length + repo.revisions.length + repo.uploads.length, `${name} is empty`).toBeGreaterThan(0);
      expect(repo.unlinkedRevisions).toEqual([]);
    }
    expect(fs.existsSync(path.join(layout.repositoriesDir, 'team', 'gone'))).toBe(false);

    // The registry serves every tagged image, and every child of the index.
    const restarted = await startRegistry({ root: registry.root });
    running.push(restarted);
    const after = new RegistryClient(restarted.url);
    for (const [repo, tag] of tagged) expect((await after.pullImage(repo, tag)).length).toBeGreaterThanOrEqual(3);
    for (const child of [amd, arm]) expect(await after.pullImage('team/multi', child.digest)).toContain(child.digest);
    await restarted.stop();
  }, 30_000);
});
