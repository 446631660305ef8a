/**
 * A registry of `count` repositories, nested ones among them, each with every
 * kind of garbage: an untagged old image sharing a base layer, a tagged index
 * with a child pushed by digest, a signature of the index, a stale upload, an
 * orphan blob. Enough repositories for the scan's worker threads to take a
 * share (from 16 on).
 */
import { tempDir, TreeBuilder } from '../../harness/tree.js';

export function manyRepositories(count: number): TreeBuilder {
  const t = new TreeBuilder(tempDir());
  const shared = t.blob('shared base');
  for (let r = 0; r < count; r++) {
    const repo = r % 3 === 0 ? `team${r}` : `team${r - (r % 3)}/app${r}`;
    const old = t.image(repo, { sharedLayers: [shared] });
    t.history(repo, 'latest', old.manifest.digest);
    const child = t.image(repo, { format: 'oci' });
    const index = t.index(repo, [child.manifest], { tag: 'latest' });
    t.image(repo, { format: 'oci', artifactType: 'sig', subject: index });
    t.upload(repo, `u${r}`, '2020-01-01T00:00:00Z');
    t.blob(`orphan ${r}`);
  }
  return t;
}
