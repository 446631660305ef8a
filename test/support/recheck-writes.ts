/**
 * The registry writes of a scenario (recheck-scenarios.ts), made between plan
 * and apply exactly as the registry makes them (the table in
 * docs/recheck.md): a new image, index or referrer pushed (blobs written only
 * when missing, layer links only when the repository lacks them, then the
 * revision link, then the tag), a planned manifest pushed again by digest
 * (its revision link rewritten in place), a manifest deleted through the API
 * pushed again, a tag moved to a planned manifest, a planned blob mounted
 * into a repository, an upload started, a planned upload resumed.
 *
 * Each write is resolved against the plan: most aim at a planned item (a
 * manifest pushed again, tagged, indexed or signed, a planned layer reused or
 * mounted, a planned upload resumed), since those are the writes that can make
 * a planned item needed again. It is made on the tree and on its twin alike
 * and recorded in the model; `Effects` says what the writes touched, for the
 * model's prediction and the property's checks.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Plan } from '../../src/plan/plan.js';
import { computeDigest, type Digest } from '../../src/registry/digest.js';
import { RegistryLayout } from '../../src/registry/layout.js';
import { MediaType } from '../../src/registry/manifest.js';
import type { Descriptor } from '../../harness/tree.js';
import { at, type Facts } from './recheck-model.js';
import { LAYER_TYPE, STARTED_MEANWHILE, TAGS, uuid, WRITE_REPOS, type Built } from './recheck-scenarios.js';

/** One file-system step of a write; a write is a sequence of them, in the registry's order. */
type Action =
  | { kind: 'blob'; digest: Digest; data: string }
  | { kind: 'link'; repo: string; digest: Digest; always: boolean }
  | { kind: 'revision'; repo: string; digest: Digest }
  | { kind: 'tag'; repo: string; tag: string; digest: Digest }
  | { kind: 'upload'; repo: string; id: string }
  | { kind: 'resume'; repo: string; id: string };

/** A link, as the registry writes one: a new file, or an existing one rewritten in place (O_WRONLY|O_TRUNC). */
export function writeLink(file: string, digest: Digest): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, digest);
}

function perform(root: string, a: Action): void {
  const layout = new RegistryLayout(root);
  switch (a.kind) {
    case 'blob':
      // The registry never writes a blob that is there already.
      if (!fs.existsSync(layout.blobData(a.digest))) {
        fs.mkdirSync(path.dirname(layout.blobData(a.digest)), { recursive: true });
        fs.writeFileSync(layout.blobData(a.digest), a.data);
      }
      break;
    case 'link':
      if (a.always || !fs.existsSync(layout.layerLink(a.repo, a.digest))) writeLink(layout.layerLink(a.repo, a.digest), a.digest);
      break;
    case 'revision':
      writeLink(layout.revisionLink(a.repo, a.digest), a.digest);
      break;
    case 'tag':
      writeLink(layout.tagIndexEntryLink(a.repo, a.tag, a.digest), a.digest);
      writeLink(layout.tagCurrentLink(a.repo, a.tag), a.digest);
      break;
    case 'upload': {
      const dir = layout.uploadDir(a.repo, a.id);
      fs.mkdirSync(path.join(dir, 'hashstates', 'sha256'), { recursive: true });
      fs.writeFileSync(layout.uploadStartedAt(a.repo, a.id), STARTED_MEANWHILE);
      fs.writeFileSync(layout.uploadData(a.repo, a.id), 'first chunk');
      fs.writeFileSync(path.join(dir, 'hashstates', 'sha256', '11'), 'state');
      break;
    }
    case 'resume': {
      fs.appendFileSync(layout.uploadData(a.repo, a.id), ' and a chunk sent after the plan');
      const states = path.join(layout.uploadDir(a.repo, a.id), 'hashstates', 'sha256');
      fs.mkdirSync(states, { recursive: true });
      fs.writeFileSync(path.join(states, 'resumed'), 'state');
      break;
    }
  }
}

export interface Effects {
  /** Repositories a write went into. */
  readonly touched: Set<string>;
  /** `repo@digest` of every manifest a write put (new, pushed again, tagged). */
  readonly touchedManifests: Set<string>;
  /** Blobs linked by a mount. */
  readonly mounted: { repo: string; digest: Digest }[];
  /** `repo@digest` of planned layer links that a write rewrote in place. */
  readonly rewrittenLinks: Set<string>;
  /** `repo@id` of planned uploads resumed. */
  readonly resumed: Set<string>;
  /** Write kinds actually made (a write with nothing to aim at is not made). */
  readonly made: string[];
  /**
   * Repositories holding a folder that a write created (a repository new since the plan, nested
   * in one that was there): the new entry changes that repository's own folder, so apply may
   * scan it again too.
   */
  readonly parentsWritten: Set<string>;
}

/** Resolves each write against the plan and the model, performs it on `roots`, and updates the model. */
export function makeWrites(b: Built, plan: Plan, roots: readonly string[]): Effects {
  const { model } = b;
  const effects: Effects = { touched: new Set(), touchedManifests: new Set(), mounted: [], rewrittenLinks: new Set(), resumed: new Set(), made: [], parentsWritten: new Set() };
  const layout = new RegistryLayout(b.root);
  const plannedLayers = plan.items.blobs.filter((x) => !model.manifests.has(x.digest));
  const plannedLinks = new Set(plan.items.layerLinks.map((l) => at(l.repository, l.digest)));
  const nth = <T>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);
  const run = (actions: Action[]) => {
    const into = actions.map((a) => ('repo' in a ? a.repo : undefined)).filter((r) => r !== undefined);
    for (const name of into) {
      if (fs.existsSync(layout.repositoryDir(name))) continue;
      for (let parent = path.dirname(name); parent !== '.'; parent = path.dirname(parent)) if (model.repos.has(parent)) effects.parentsWritten.add(parent);
    }
    for (const root of roots) for (const a of actions) perform(root, a);
  };

  b.s.writes.forEach((w, i) => {
    switch (w.kind) {
      case 'push': {
        // An index or a referrer is pushed into the repository of the planned manifest it names.
        const aimed = w.shape === 'image' ? undefined : nth(plan.items.manifests, w.target);
        const name = aimed?.repository ?? WRITE_REPOS[w.repo]!;
        const target = aimed?.digest;
        const shape = target === undefined ? 'image' : w.shape;
        const actions: Action[] = [];
        let body: Record<string, unknown>;
        let facts: Facts;
        if (shape === 'index') {
          const child = model.descriptors.get(target!)!;
          body = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ ...child, platform: { architecture: 'riscv64', os: 'linux' } }] };
          facts = { blobs: [], children: [target!], subject: undefined };
        } else {
          const layers: Descriptor[] = [...new Set(w.reuse.map((k) => nth(plannedLayers, k)).filter((x) => x !== undefined))].map((x) => ({
            mediaType: LAYER_TYPE,
            digest: x.digest,
            size: x.size,
          }));
          const fresh: string[] = [];
          if (w.own || layers.length === 0) fresh.push(`layer pushed after the plan ${i} into ${name}`);
          const configText = JSON.stringify({ architecture: 'amd64', os: 'linux', pushedAfterPlan: i, name });
          fresh.push(configText);
          for (const data of fresh) actions.push({ kind: 'blob', digest: computeDigest(data), data });
          const described = fresh.map((data) => ({ mediaType: LAYER_TYPE, digest: computeDigest(data), size: Buffer.byteLength(data) }));
          const config = { ...described.pop()!, mediaType: 'application/vnd.oci.image.config.v1+json' };
          layers.push(...described);
          body = { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers };
          if (shape === 'referrer') {
            body['artifactType'] = 'application/vnd.example.signature.v1+json';
            body['subject'] = model.descriptors.get(target!)!;
          }
          // A client links what the repository lacks (HEAD first: an existing link is not written again).
          for (const d of [config, ...layers]) actions.push({ kind: 'link', repo: name, digest: d.digest, always: false });
          facts = { blobs: [config, ...layers].map((d) => d.digest), children: [], subject: shape === 'referrer' ? target : undefined };
        }
        const text = JSON.stringify(body, null, 3);
        const manifest: Descriptor = { mediaType: body['mediaType'] as string, digest: computeDigest(text), size: Buffer.byteLength(text) };
        const tagName = w.tag === null ? undefined : TAGS[w.tag];
        actions.push({ kind: 'blob', digest: manifest.digest, data: text }, { kind: 'revision', repo: name, digest: manifest.digest });
        if (tagName !== undefined) actions.push({ kind: 'tag', repo: name, tag: tagName, digest: manifest.digest });
        run(actions);
        model.record(name, manifest, facts, tagName);
        effects.touched.add(name);
        effects.touchedManifests.add(at(name, manifest.digest));
        effects.made.push(`push-${shape}`);
        break;
      }
      case 'repush': {
        const m = nth(plan.items.manifests, w.target);
        if (!m) break;
        run([{ kind: 'revision', repo: m.repository, digest: m.digest }]);
        effects.touched.add(m.repository);
        effects.touchedManifests.add(at(m.repository, m.digest));
        effects.made.push('repush');
        break;
      }
      case 'retag': {
        const m = nth(plan.items.manifests, w.target);
        if (!m) break;
        const tagName = TAGS[w.tag]!;
        run([
          { kind: 'revision', repo: m.repository, digest: m.digest },
          { kind: 'tag', repo: m.repository, tag: tagName, digest: m.digest },
        ]);
        model.repo(m.repository).tags.set(tagName, m.digest);
        effects.touched.add(m.repository);
        effects.touchedManifests.add(at(m.repository, m.digest));
        effects.made.push('retag');
        break;
      }
      case 'mount': {
        const blob = nth(plannedLayers, w.blob);
        if (!blob) break;
        const name = WRITE_REPOS[w.repo]!;
        if (fs.existsSync(layout.layerLink(name, blob.digest)) && plannedLinks.has(at(name, blob.digest))) effects.rewrittenLinks.add(at(name, blob.digest));
        run([{ kind: 'link', repo: name, digest: blob.digest, always: true }]);
        model.repo(name).links.add(blob.digest);
        effects.touched.add(name);
        effects.mounted.push({ repo: name, digest: blob.digest });
        effects.made.push('mount');
        break;
      }
      case 'upload': {
        const name = WRITE_REPOS[w.repo]!;
        const id = uuid(`upload started after the plan ${i}`);
        run([{ kind: 'upload', repo: name, id }]);
        model.repo(name).uploads.add(id);
        effects.touched.add(name);
        effects.made.push('upload');
        break;
      }
      case 'revive': {
        // The deleted manifest put again (same bytes): its blob is there, its revision link is new.
        const d = nth(model.deleted, w.target);
        if (!d) break;
        const tagName = w.tag === null ? undefined : TAGS[w.tag];
        const actions: Action[] = [{ kind: 'revision', repo: d.repo, digest: d.digest }];
        if (tagName !== undefined) actions.push({ kind: 'tag', repo: d.repo, tag: tagName, digest: d.digest });
        run(actions);
        model.repo(d.repo).revisions.add(d.digest);
        if (tagName !== undefined) model.repo(d.repo).tags.set(tagName, d.digest);
        effects.touched.add(d.repo);
        effects.touchedManifests.add(at(d.repo, d.digest));
        effects.made.push('revive');
        break;
      }
      case 'resume': {
        const u = nth(plan.items.uploads, w.target);
        if (!u) break;
        run([{ kind: 'resume', repo: u.repository, id: u.id }]);
        effects.touched.add(u.repository);
        effects.resumed.add(at(u.repository, u.id));
        effects.made.push('resume');
        break;
      }
    }
  });
  return effects;
}
