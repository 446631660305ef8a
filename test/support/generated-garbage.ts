/**
 * What a full `-m --prune-layer-links --remove-empty-repositories` run must
 * delete from a generated registry, from the generator's record alone (never
 * by reading the tree with src/), each file with the sweep phase that deletes
 * it: the crash tests use the phases to tell where a kill landed.
 */
import path from 'node:path';
import type { Digest } from '../../src/registry/digest.js';
import { keptManifests, type GeneratedRegistry } from './generated-registry.js';

/** The sweep phase (spec §4 order) in which a full run deletes a file. */
export type SweepPhase = 'manifests' | 'blobs' | 'layer-links' | 'tag-history' | 'uploads';
export const SWEEP_PHASES: readonly SweepPhase[] = ['manifests', 'blobs', 'layer-links', 'tag-history', 'uploads'];

/**
 * Root-relative files that a full `-m --prune-layer-links
 * --remove-empty-repositories` run deletes, each with the phase that deletes
 * it, from the record alone: untagged revisions and their history, unmarked
 * blobs, layer links no kept manifest of the repository references, dead
 * history, stale uploads, emptied repositories.
 */
export function garbageFiles(g: GeneratedRegistry, initial: ReadonlyMap<string, number>): Map<string, SweepPhase> {
  const layout = g.builder.layout;
  const rel = (p: string) => path.relative(g.root, p);
  const kept = keptManifests(g);
  const marked = new Set<Digest>();
  for (const digests of kept.values()) {
    for (const d of digests) {
      marked.add(d);
      for (const blob of g.manifests.get(d)!.blobs) marked.add(blob);
    }
  }
  const doomed = new Map<string, SweepPhase | undefined>();
  for (const blob of g.blobs) if (!marked.has(blob)) doomed.set(rel(layout.blobDir(blob)), 'blobs');
  for (const [name, repo] of g.repositories) {
    const keep = kept.get(name)!;
    const referenced = new Set([...keep].flatMap((d) => [d, ...g.manifests.get(d)!.blobs]));
    if (repo.tags.size === 0 && keep.size === 0 && [...repo.uploads.values()].every((u) => u.stale)) {
      doomed.set(rel(layout.repositoryDir(name)), undefined); // by path, below
      continue;
    }
    for (const d of repo.revisions) if (!keep.has(d)) doomed.set(rel(layout.revisionDir(name, d)), 'manifests');
    for (const d of repo.layerLinks) if (!referenced.has(d)) doomed.set(rel(layout.layerLinkDir(name, d)), 'layer-links');
    for (const [tag, history] of repo.history) {
      for (const d of history) if (!keep.has(d)) doomed.set(rel(layout.tagIndexEntryDir(name, tag, d)), repo.revisions.has(d) ? 'manifests' : 'tag-history');
    }
    for (const [id, upload] of repo.uploads) if (upload.stale) doomed.set(rel(layout.uploadDir(name, id)), 'uploads');
  }
  const byPath = (file: string): SweepPhase =>
    file.includes('/_layers/') ? 'layer-links' : file.includes('/_uploads/') ? 'uploads' : 'manifests';
  const files = new Map<string, SweepPhase>();
  for (const file of initial.keys()) {
    for (let dir = path.dirname(file); dir !== '.' && dir !== '/'; dir = path.dirname(dir)) {
      if (doomed.has(dir)) {
        files.set(file, doomed.get(dir) ?? byPath(file));
        break;
      }
    }
  }
  return files;
}
