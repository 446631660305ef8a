/**
 * Retention on a tree the real registry wrote (issue 14): pushes through its
 * API, cosign-style signature tags and OCI referrers (by subject, and the
 * referrers tag schema), then `-m --keep-last 1 --delete-orphaned-tags
 * --remove-empty-repositories` through the CLI, then a restart: every kept
 * tag pulls with all its layers, every deleted tag answers 404, every
 * signature and referrer of a kept image still pulls, no orphan is left, and
 * /v2/_catalog lists exactly the repositories that keep something.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { hasDockerRegistry, startRegistry, type RunningRegistry } from '../../harness/registry-server.js';
import { imageConfig, imageManifest, indexManifest, randomLayer, RegistryClient, RegistryHttpError, type BuiltManifest } from '../../harness/registry-client.js';

const cli = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..'), 'dist', 'cli.js');
const running: RunningRegistry[] = [];
afterAll(async () => {
  for (const registry of running) await registry.destroy();
});

async function pushImage(client: RegistryClient, repo: string, seed: string, tag: string | undefined, extra: Partial<Parameters<typeof imageManifest>[0]> = {}): Promise<BuiltManifest> {
  const config = imageConfig(seed);
  const layers = [randomLayer(`${seed}-layer`, 1024)];
  for (const blob of [config, ...layers]) await client.pushBlob(repo, blob);
  const manifest = imageManifest({ config, layers, ...extra });
  await client.pushManifest(repo, tag ?? manifest.digest, manifest.bytes, manifest.mediaType);
  return manifest;
}

const hex = (m: BuiltManifest) => m.digest.slice('sha256:'.length);

async function status(client: RegistryClient, repo: string, reference: string): Promise<number> {
  try {
    await client.getManifest(repo, reference);
    return 200;
  } catch (error) {
    if (error instanceof RegistryHttpError) return error.status;
    throw error;
  }
}

describe.skipIf(!hasDockerRegistry())('retention on a tree written by the real registry', () => {
  it('keeps and serves what the rules keep, with its signatures; deleted tags answer 404; no orphan is left', async () => {
    const registry = await startRegistry();
    running.push(registry);
    const client = new RegistryClient(registry.url);

    // Pushed in this order, so their current links' mtimes are in this order.
    const latest = await pushImage(client, 'team/app', 'latest', 'latest');
    const b1 = await pushImage(client, 'team/app', 'b1', 'build-1');
    const b2 = await pushImage(client, 'team/app', 'b2', 'build-2');
    const b3 = await pushImage(client, 'team/app', 'b3', 'build-3');
    // cosign-style signature tags of a deleted and of a kept image.
    const sigB1 = await pushImage(client, 'team/app', 'sig-b1', `sha256-${hex(b1)}.sig`);
    const sigB3 = await pushImage(client, 'team/app', 'sig-b3', `sha256-${hex(b3)}.sig`);
    // OCI referrers of b3 (by subject, untagged) and of b1 (the referrers tag schema: an index tagged sha256-<hex>).
    const sbomB3 = await pushImage(client, 'team/app', 'sbom-b3', undefined, { mediaType: 'oci', subject: b3, artifactType: 'application/vnd.example.sbom' });
    const sbomB1 = await pushImage(client, 'team/app', 'sbom-b1', undefined, { mediaType: 'oci', subject: b1, artifactType: 'application/vnd.example.sbom' });
    const referrersB1 = indexManifest([sbomB1], 'oci');
    await client.pushManifest('team/app', `sha256-${hex(b1)}`, referrersB1.bytes, referrersB1.mediaType);
    // A repository whose only tags are signatures of an image that is gone.
    const gone = 'cd'.repeat(32);
    await pushImage(client, 'team/sigs', 'orphan-sig', `sha256-${gone}.sig`);
    await pushImage(client, 'team/sigs', 'orphan-att', `sha256-${gone}.att`);
    await registry.stop();

    const run = spawnSync(process.execPath, [cli, '-m', '--keep-last', '1', '--delete-orphaned-tags', '--remove-empty-repositories', '--json', registry.root], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { tags: { deleted: Array<{ repository: string; tag: string; rule: string }> }; repositories: { deleted: unknown[] } };
    expect(report.tags.deleted.map((t) => `${t.repository}:${t.tag}:${t.rule}`)).toEqual([
      'team/app:build-1:command-line',
      'team/app:build-2:command-line',
      `team/app:sha256-${hex(b1)}:orphaned-referrer`,
      `team/app:sha256-${hex(b1)}.sig:orphaned-referrer`,
      `team/sigs:sha256-${gone}.att:orphaned-referrer`,
      `team/sigs:sha256-${gone}.sig:orphaned-referrer`,
    ]);
    expect(report.repositories.deleted).toEqual([{ repository: 'team/sigs' }]);

    const restarted = await startRegistry({ root: registry.root });
    running.push(restarted);
    const after = new RegistryClient(restarted.url);
    expect(await after.listTags('team/app')).toEqual(['build-3', 'latest', `sha256-${hex(b3)}.sig`].sort());
    for (const [reference, image] of [['latest', latest], ['build-3', b3], [`sha256-${hex(b3)}.sig`, sigB3]] as const) {
      expect(await after.pullImage('team/app', reference), reference).toEqual(expect.arrayContaining([image.digest]));
      expect((await after.pullImage('team/app', reference)).length, reference).toBe(3);
    }
    // The referrer of a kept image still pulls by digest; everything of the deleted ones answers 404.
    expect(await after.pullImage('team/app', sbomB3.digest)).toContain(sbomB3.digest);
    for (const reference of ['build-1', 'build-2', `sha256-${hex(b1)}.sig`, `sha256-${hex(b1)}`, b1.digest, b2.digest, sigB1.digest, sbomB1.digest, referrersB1.digest]) {
      expect(await status(after, 'team/app', reference), reference).toBe(404);
    }
    const catalog = (await (await fetch(`${restarted.url}/v2/_catalog`)).json()) as { repositories: string[] };
    expect(catalog.repositories).toEqual(['team/app']);
    await restarted.stop();
  }, 60_000);
});
