/**
 * A registry in an S3 bucket behind the storage seam (storage.ts), with its
 * own access pattern rather than a file system's (docs/s3.md):
 *
 * - `prepare` lists the bucket once (flat pages, many in flight) and reads
 *   ahead every link, upload time and manifest the scan reads (load.ts). The
 *   scan's synchronous reader then answers from that snapshot, on the calling
 *   thread; a file it did not read ahead is an error there (EIO), so the scan
 *   fails closed rather than guess.
 * - `inspect` and `list` answer from the listing (sizes, LastModified): no
 *   request per blob.
 * - `readFiles` sends a GET per file, many in flight: what the sweep re-checks
 *   right before a deletion is read again, not taken from the snapshot.
 * - `remove` deletes every listed object below a folder. Removals that
 *   arrive together are sent together: DeleteObjects of up to 1,000 keys,
 *   each key's failure reported on its own. A key outside the registry's
 *   `docker/registry/v2/` is never sent.
 * - There is no rename: runs delete in place, and the trash (keep, restore)
 *   is refused on S3 before a run starts.
 * - The lock is an object created with `If-None-Match: *`.
 */
import pLimit from 'p-limit';
import { RegistryLayout } from '../../registry/layout.js';
import { codedError, partialRemoval } from '../errno.js';
import { answerEach, type DirEntry, type EntryInfo, type OddEntry, type Outcome, type OwnFiles, type Storage, type TreeReader } from '../storage.js';
import { S3Client } from './client.js';
import { loadSnapshot } from './load.js';
import { findCredentials, rootOf, type S3Settings } from './settings.js';
import type { Snapshot } from './snapshot.js';

/** Keys per DeleteObjects request: S3's limit. */
export const DELETE_BATCH = 1000;
const DEFAULT_REQUESTS = 64;

interface PendingRemoval {
  readonly keys: readonly string[];
  /** With the keys that failed, each with S3's reason. */
  readonly resolve: (failures: ReadonlyMap<string, string>) => void;
  readonly reject: (error: unknown) => void;
}

export class S3Storage implements Storage {
  /** The layout's root: the rootdirectory as a path (`/` when none). */
  readonly root: string;
  readonly client: S3Client;
  readonly reader: TreeReader;
  readonly workerAccess = undefined;
  /** A batch of the sweep: four DeleteObjects in flight at once, each phase's all done before the next. */
  readonly removals = { batch: 4 * DELETE_BATCH };
  private snapshotTaken: Snapshot | undefined;
  private readonly layout: RegistryLayout;
  /** `<rootdirectory>/docker/registry/v2/`: every key deleted starts with it. */
  private readonly v2Key: string;
  /** Requests in flight at once, the listing's and the sweep's alike. */
  private readonly requests: number;
  private readonly limit: ReturnType<typeof pLimit>;
  private pending: PendingRemoval[] = [];
  private pendingKeys = 0;
  private flushScheduled = false;

  constructor(readonly settings: S3Settings, env: Readonly<Record<string, string | undefined>> = process.env) {
    if (settings.v4Auth === false) throw codedError('EINVAL', 'v4auth: false (Signature Version 2) is not supported');
    const credentials = findCredentials(settings, env);
    if (credentials === undefined) throw codedError('EACCES', 'no S3 credentials: set storage.s3.accesskey/secretkey, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or a shared credentials file');
    this.root = rootOf(settings);
    this.client = new S3Client(settings, credentials);
    this.layout = new RegistryLayout(this.root);
    this.requests = settings.requests ?? DEFAULT_REQUESTS;
    this.v2Key = `${this.layout.v2.slice(1)}/`;
    this.limit = pLimit(this.requests);
    this.reader = {
      list: (dir) => this.snapshot.list(dir),
      read: (file, maxBytes) => this.readAhead(file, maxBytes),
      entry: (target) => this.snapshot.entry(target),
    };
  }

  /** Lists the bucket and reads ahead what the scan reads; every run calls it first. */
  readonly prepare = async ({ root, maxManifestBytes, signal }: { root: string; maxManifestBytes: number; signal?: AbortSignal | undefined }): Promise<void> => {
    if (root !== this.root) throw codedError('EINVAL', `the root of a run on S3 is its rootdirectory, ${this.root}, not ${root}`);
    this.snapshotTaken = await loadSnapshot(this.client, this.layout, { requests: this.requests, maxManifestBytes, signal });
  };

  /** Keys the listing found that no file system could hold (snapshot.ts): never deleted; a clash stops the run. */
  readonly oddEntries = (): readonly OddEntry[] => [
    ...(this.snapshotTaken?.oddKeys ?? []).map((key) => ({ key, blocking: false })),
    ...[...new Set(this.snapshotTaken?.clashes ?? [])].map((key) => ({ key, blocking: true })),
  ];

  private get snapshot(): Snapshot {
    if (this.snapshotTaken === undefined) throw codedError('EIO', 'the bucket has not been listed yet (S3Storage.prepare)');
    return this.snapshotTaken;
  }

  private readAhead(file: string, maxBytes: number): Buffer {
    const node = this.snapshot.need(file);
    if (node.type !== 'file') throw codedError('EISDIR', `${file} is a folder`);
    if (node.size > maxBytes) throw codedError('EFBIG', `${file} is larger than ${maxBytes} bytes`);
    if (node.data === undefined) throw codedError('EIO', `${file} was not read with the listing`);
    return node.data;
  }

  async readFiles(files: readonly string[], maxBytes: number): Promise<Outcome<Buffer>[]> {
    return Promise.all(
      files.map((file) =>
        this.limit(async (): Promise<Outcome<Buffer>> => {
          try {
            const node = this.snapshot.find(file);
            if (node?.type === 'dir') throw codedError('EISDIR', `${file} is a folder`);
            const data = await this.client.get(file.slice(1));
            if (data.length > maxBytes) throw codedError('EFBIG', `${file} is larger than ${maxBytes} bytes`);
            return { ok: true, value: data };
          } catch (error) {
            return { ok: false, error };
          }
        }),
      ),
    );
  }

  async inspect(targets: readonly string[]): Promise<Outcome<EntryInfo>[]> {
    return answerEach(targets, (target) => this.snapshot.entry(target));
  }

  async list(dir: string): Promise<DirEntry[]> {
    return this.snapshot.list(dir);
  }

  /**
   * Deletes every listed object at or below `target`; ENOENT when there is
   * none. A key that failed is an error naming it; when `onlyFile` went and
   * something else failed, the removal is partial (counted as done).
   */
  async remove(target: string, onlyFile?: string): Promise<void> {
    const files = this.snapshot.filesBelow(target);
    if (files.length === 0) throw codedError('ENOENT', `${target} does not exist`);
    const keys = files.map((f) => f.key);
    for (const key of keys) if (!key.startsWith(this.v2Key) || key.length === this.v2Key.length) throw codedError('EPERM', `refusing to delete ${key}: outside ${this.v2Key}`);
    const failed = await new Promise<ReadonlyMap<string, string>>((resolve, reject) => this.enqueue({ keys, resolve, reject }));
    for (const key of keys) if (!failed.has(key)) this.snapshot.forget(key);
    if (failed.size === 0) return;
    const error = codedError('EIO', `S3 did not delete ${[...failed].map(([key, why]) => `${key} (${why})`).join('; ')}`);
    const onlyKey = onlyFile?.slice(1);
    throw onlyKey !== undefined && !failed.has(onlyKey) && keys.includes(onlyKey) ? partialRemoval(error) : error;
  }

  /** S3 has no folders: a prefix is gone once its last object is. */
  async removeEmptyDir(dir: string): Promise<void> {
    this.snapshot.removeEmptyDir(dir);
  }

  /** Removals asked for in one turn of the event loop go out together, 1,000 keys a request. */
  private enqueue(removal: PendingRemoval): void {
    this.pending.push(removal);
    this.pendingKeys += removal.keys.length;
    if (this.pendingKeys >= DELETE_BATCH) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  private flush(): void {
    while (this.pending.length > 0) {
      const batch: PendingRemoval[] = [];
      let keys = 0;
      while (this.pending.length > 0 && (batch.length === 0 || keys + this.pending[0]!.keys.length <= DELETE_BATCH)) {
        const next = this.pending.shift()!;
        batch.push(next);
        keys += next.keys.length;
      }
      this.pendingKeys -= keys;
      void this.sendBatch(batch);
    }
  }

  private async sendBatch(batch: readonly PendingRemoval[]): Promise<void> {
    const keys = batch.flatMap((r) => r.keys);
    try {
      const failures = new Map<string, string>();
      for (let start = 0; start < keys.length; start += DELETE_BATCH) {
        const sent = keys.slice(start, start + DELETE_BATCH);
        const result = await this.limit(() => this.client.deleteObjects(sent));
        // An error naming no key that was sent (none at all, or one that did not come back as sent)
        // cannot be told apart from the others: every key of the request counts as failed.
        const asked = new Set(sent);
        const unmatched = result.errors.find((e) => !asked.has(e.key));
        if (unmatched !== undefined) for (const key of sent) failures.set(key, `the server reported a failure for ${JSON.stringify(unmatched.key)} (${unmatched.code}), not a key of this request`);
        for (const e of result.errors) if (asked.has(e.key)) failures.set(e.key, `${e.code}${e.message ? `: ${e.message}` : ''}`);
      }
      for (const removal of batch) removal.resolve(new Map(removal.keys.flatMap((k) => (failures.has(k) ? [[k, failures.get(k)!] as const] : []))));
    } catch (error) {
      for (const removal of batch) removal.reject(error);
    }
  }

  /** Whether the server refused a second conditional create of the lock (see ownFiles.create). */
  private conditionalCreates = true;

  readonly ownFiles: OwnFiles = {
    // Some S3-compatible servers accept If-None-Match and ignore it: a second create of the
    // same object, which must be refused, tells (it rewrites the same bytes when it is not).
    create: async (file, data) => {
      await this.client.put(file.slice(1), data, true);
      try {
        await this.client.put(file.slice(1), data, true);
        this.conditionalCreates = false;
      } catch (error) {
        if ((error as { code?: string }).code !== 'EEXIST') throw error;
      }
    },
    createIsExclusive: () => this.conditionalCreates,
    read: async (file) => (await this.client.get(file.slice(1))).toString('utf8'),
    openAppend: async (file) => {
      throw codedError('ENOTSUP', `${file}: there is no trash on S3`);
    },
    makeDir: async () => {},
    rename: async (from) => {
      throw codedError('ENOTSUP', `${from}: S3 has no rename; if no collector runs, delete this object and retry`);
    },
    remove: (file) => this.client.deleteOne(file.slice(1)),
  };
}
