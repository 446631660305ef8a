/**
 * The paths of the collector's trash (spec §8): `<root>/registry-gc-trash`,
 * one folder per run, its journal and its entries in shards. The part of
 * the layout (layout.ts) that lies outside `docker/registry/v2`.
 */
import { RegistryGcError } from '../report/errors.js';
import { join, strictlyInside, TRASH_FOLDER, TRASH_SHARD_SIZE } from './layout-parts.js';
import { isTrashRun } from './names.js';

export class TrashPaths {
  /** The registry's `rootdirectory`, absolute. */
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /**
   * The collector's trash: inside the root (so on the file system of the
   * tree, as a rename needs), outside `v2`, which the registry never leaves.
   * One folder per run: `<run>/journal.jsonl` and `<run>/entries/<shard>/<seq>`.
   */
  get trashDir(): string {
    return join(this.root, TRASH_FOLDER);
  }

  /** `<root>/registry-gc-trash/<run>`: one run's trash; throws for a name that is no run's. */
  trashRunDir(run: string): string {
    if (!isTrashRun(run)) throw new TypeError(`not a trash run: ${JSON.stringify(run)}`);
    return join(this.trashDir, run);
  }

  /** `<run>/journal.jsonl`: the journal of what the run moved into its trash. */
  trashJournal(run: string): string {
    return join(this.trashRunDir(run), 'journal.jsonl');
  }

  /** `<run>/entries`: the folder the run's moved items go below, in shards. */
  trashEntriesDir(run: string): string {
    return join(this.trashRunDir(run), 'entries');
  }

  /** Entries go TRASH_SHARD_SIZE to a folder, in order: a small folder takes a new entry faster. */
  trashShardDir(run: string, seq: number): string {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new TypeError(`not an entry number: ${seq}`);
    return join(this.trashEntriesDir(run), String(Math.floor(seq / TRASH_SHARD_SIZE)));
  }

  /** `<run>/entries/<seq div 64>/<seq>`: where the run moves its item number `seq`. */
  trashEntry(run: string, seq: number): string {
    return join(this.trashShardDir(run, seq), String(seq));
  }

  /** True when `target` lies strictly inside the trash. */
  inTrash(target: string): boolean {
    return strictlyInside(this.trashDir, target);
  }

  /** Throws unless `target` may be freed from the trash. Called right before every purge deletion. */
  assertInTrash(target: string): void {
    if (!this.inTrash(target)) throw new RegistryGcError('E_OUTSIDE_ROOT', `refusing to purge ${target}: it is not inside ${this.trashDir}`);
  }
}
