/**
 * Pushes the way a real client does, and the scene the plan/apply race tests
 * (test/reference/plan-apply-race.test.ts) start from.
 *
 * Like registry-client.ts this is independent of src/: the expected plan is
 * derived here from what was pushed, not from the collector's own reasoning.
 */
import { imageConfig, imageManifest, randomLayer, sha256, type BuiltManifest, type RegistryClient } from './registry-client.js';

export interface TestImage {
  readonly config: Uint8Array;
  readonly layers: readonly Uint8Array[];
  readonly manifest: BuiltManifest;
}

export function makeImage(seed: string, layers: readonly Uint8Array[]): TestImage {
  const config = imageConfig(seed);
  return { config, layers, manifest: imageManifest({ config, layers }) };
}

/** Every digest pulling the image fetches: the manifest, its config and its layers, sorted. */
export function closureOf(image: TestImage): string[] {
  return [image.manifest.digest, sha256(image.config), ...image.layers.map(sha256)].sort();
}

/** HEAD /v2/<repo>/blobs/<digest>: 200 only while the repository links the blob and the blob exists. */
export async function blobStatus(baseUrl: string, repo: string, digest: string): Promise<number> {
  const res = await fetch(`${baseUrl}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
  await res.arrayBuffer();
  return res.status;
}

/** As docker/containerd push a layer: HEAD first, upload only on 404. Returns whether bytes were sent. */
export async function pushBlobLikeClient(client: RegistryClient, repo: string, bytes: Uint8Array): Promise<boolean> {
  if ((await blobStatus(client.baseUrl, repo, sha256(bytes))) === 200) return false;
  await client.pushBlob(repo, bytes);
  return true;
}

/** Config and layers (HEAD first), then the manifest under `reference` (a tag or its digest). */
export async function pushImageLikeClient(client: RegistryClient, repo: string, reference: string, image: TestImage): Promise<void> {
  for (const blob of [image.config, ...image.layers]) await pushBlobLikeClient(client, repo, blob);
  await client.pushManifest(repo, reference, image.manifest.bytes, image.manifest.mediaType);
}

// One key per plan item, as `<category> <identity>`, so plans and apply reports compare as sets of strings.
export const manifestKey = (repo: string, digest: string): string => `manifests ${repo}@${digest}`;
export const blobKey = (digest: string): string => `blobs ${digest}`;
export const linkKey = (repo: string, digest: string): string => `layerLinks ${repo}@${digest}`;

/** The plan's `items` (or an apply report's `deleted`), as far as these tests read them. */
export interface ItemsJson {
  manifests: { repository: string; digest: string }[];
  blobs: { digest: string }[];
  layerLinks: { repository: string; digest: string }[];
  tagHistory: { repository: string; tag: string; digest: string }[];
  uploads: { repository: string; id: string }[];
  repositories: { repository: string }[];
}

export function itemKeys(items: ItemsJson): string[] {
  return [
    ...items.manifests.map((m) => manifestKey(m.repository, m.digest)),
    ...items.blobs.map((b) => blobKey(b.digest)),
    ...items.layerLinks.map((l) => linkKey(l.repository, l.digest)),
    ...items.tagHistory.map((t) => `tagHistory ${t.repository}:${t.tag}@${t.digest}`),
    ...items.uploads.map((u) => `uploads ${u.repository}/${u.id}`),
    ...items.repositories.map((r) => `repositories ${r.repository}`),
  ].sort();
}

/**
 * What -m plans for an untagged image: its revision, its manifest blob, and
 * its config and layers that no kept image uses, with their links in `repo`.
 */
export function victimItems(repo: string, image: TestImage, shared: readonly Uint8Array[]): string[] {
  const own = [image.config, ...image.layers].filter((b) => !shared.includes(b)).map(sha256);
  return [manifestKey(repo, image.manifest.digest), blobKey(image.manifest.digest), ...own.map(blobKey), ...own.map((d) => linkKey(repo, d))].sort();
}

/** A pull target that was kept at plan time: by tag, resolving to `image`. */
export interface KeptRef {
  readonly repo: string;
  readonly tag: string;
  readonly image: TestImage;
}

/**
 * The tree every race case starts from: three repositories.
 * - `app/web` (REPO): X (the victim the case writes at) and W (a control
 *   victim), both untagged by moving their tag to Y; Y shares layer `base`
 *   with both, so `base` is kept and not planned. X's layer B is its own.
 * - `app/api`: V untagged by moving `v1` to K: a victim in another repository.
 * - `mirror/s` (OTHER): kept image M only; the target of mounts and uploads.
 */
export async function seedRaceScene(client: RegistryClient) {
  const REPO = 'app/web';
  const API = 'app/api';
  const OTHER = 'mirror/s';
  const base = randomLayer('base', 2048);
  const B = randomLayer('layer-B', 1536);
  const X = makeImage('X', [base, B, randomLayer('x-own', 700)]);
  const W = makeImage('W', [base, randomLayer('w-own', 600)]);
  const Y = makeImage('Y', [base, randomLayer('y-own', 800)]);
  const V = makeImage('V', [randomLayer('v-own', 500)]);
  const K = makeImage('K', [randomLayer('k-own', 900)]);
  const M = makeImage('M', [randomLayer('m-own', 400)]);

  await pushImageLikeClient(client, REPO, 't', X);
  await pushImageLikeClient(client, REPO, 'old', W);
  await pushImageLikeClient(client, REPO, 't', Y); // X untagged
  await pushImageLikeClient(client, REPO, 'old', Y); // W untagged
  await pushImageLikeClient(client, API, 'v1', V);
  await pushImageLikeClient(client, API, 'v1', K); // V untagged
  await pushImageLikeClient(client, OTHER, 'm', M);

  const victim = victimItems(REPO, X, [base]);
  // Planned items no case writes at: they must be deleted whatever the case did.
  const unrelated = [...victimItems(REPO, W, [base]), ...victimItems(API, V, [])].sort();
  const kept: KeptRef[] = [
    { repo: REPO, tag: 't', image: Y },
    { repo: REPO, tag: 'old', image: Y },
    { repo: API, tag: 'v1', image: K },
    { repo: OTHER, tag: 'm', image: M },
  ];
  return { REPO, API, OTHER, base, B, X, Y, victim, unrelated, planned: [...victim, ...unrelated].sort(), kept };
}

export type RaceScene = Awaited<ReturnType<typeof seedRaceScene>>;

/** Where a planned item lives in the tree under `root` (spec §1 paths, spelled out here, not taken from src/). */
export function pathOfKey(root: string, key: string): string {
  const [category, identity] = key.split(' ') as [string, string];
  const at = identity.lastIndexOf('@');
  const repo = identity.slice(0, at);
  const hex = (at < 0 ? identity : identity.slice(at + 1)).slice('sha256:'.length);
  const v2 = `${root}/docker/registry/v2`;
  if (category === 'blobs') return `${v2}/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`;
  if (category === 'layerLinks') return `${v2}/repositories/${repo}/_layers/sha256/${hex}/link`;
  if (category === 'manifests') return `${v2}/repositories/${repo}/_manifests/revisions/sha256/${hex}/link`;
  throw new Error(`no path for ${key}`);
}
