/**
 * What a listing of the bucket found, as a tree of folders (key prefixes) and
 * files (objects), addressed by the absolute path `/<key>`: the scan walks
 * it as it walks a file system, and it answers `list`, `entry` and
 * `inspect` without a request. Objects whose contents were read ahead hold
 * their bytes. Deletions take their keys out, so that a prefix the run
 * emptied is seen as gone.
 *
 * A key no file system could hold is not put in the tree, and is never deleted:
 * - one with an empty, `.` or `..` part (`oddKeys`): the registry never
 *   builds such a key, so it reads none of them; warned about;
 * - an object that is also the prefix of other keys (`clashes`, both kinds):
 *   the registry reads the keys below it as if it were not there, so the
 *   tree cannot show what the registry sees; the run stops before any
 *   deletion.
 */
import { codedError } from '../errno.js';
import type { DirEntry, EntryInfo } from '../storage.js';
import type { ListedObject } from './xml.js';

export interface SnapshotFile {
  readonly type: 'file';
  readonly key: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** The object's bytes, when read ahead. */
  data?: Buffer;
}

export interface SnapshotDir {
  readonly type: 'dir';
  readonly children: Map<string, SnapshotNode>;
}

export type SnapshotNode = SnapshotFile | SnapshotDir;

const dir = (): SnapshotDir => ({ type: 'dir', children: new Map() });

export class Snapshot {
  private readonly root = dir();
  /** Keys with an empty, `.` or `..` part, left out of the tree (see the module comment). */
  readonly oddKeys: string[] = [];
  /** Objects that are also prefixes of other keys, and those keys (see the module comment). */
  readonly clashes: string[] = [];

  /** Puts a listed object in the tree. */
  add(object: ListedObject): SnapshotFile | undefined {
    const parts = object.key.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) {
      this.oddKeys.push(object.key);
      return undefined;
    }
    let node = this.root;
    for (const part of parts.slice(0, -1)) {
      let child = node.children.get(part);
      if (child === undefined) node.children.set(part, (child = dir()));
      if (child.type !== 'dir') {
        // An object that is also a prefix of this key.
        this.clashes.push(child.key, object.key);
        return undefined;
      }
      node = child;
    }
    const name = parts[parts.length - 1]!;
    const there = node.children.get(name);
    if (there?.type === 'dir') {
      this.clashes.push(object.key, ...filesOf(there).map((f) => f.key));
      return undefined;
    }
    const file: SnapshotFile = { type: 'file', key: object.key, size: object.size, mtimeMs: object.lastModifiedMs };
    node.children.set(name, file);
    return file;
  }

  /** The node at absolute path `target`, or undefined (also when an object stands on the way). */
  find(target: string): SnapshotNode | undefined {
    let node: SnapshotNode = this.root;
    for (const part of target.split('/')) {
      if (part === '') continue;
      if (node.type !== 'dir') return undefined;
      const child: SnapshotNode | undefined = node.children.get(part);
      if (child === undefined) return undefined;
      node = child;
    }
    return node;
  }

  /**
   * The node at `target`: ENOENT when it is not there, ENOTDIR when an
   * object stands on the way (as a file system says, never "not there").
   */
  need(target: string): SnapshotNode {
    let node: SnapshotNode = this.root;
    for (const part of target.split('/')) {
      if (part === '') continue;
      if (node.type !== 'dir') throw codedError('ENOTDIR', `${target}: an object stands on the way`);
      const child: SnapshotNode | undefined = node.children.get(part);
      if (child === undefined) throw codedError('ENOENT', `${target} does not exist`);
      node = child;
    }
    return node;
  }

  /** As Storage's `reader.list`. */
  list(target: string): DirEntry[] {
    const node = this.need(target);
    if (node.type !== 'dir') throw codedError('ENOTDIR', `${target} is not a folder`);
    return [...node.children].map(([name, child]) => ({ name, type: child.type }));
  }

  /** As Storage's `reader.entry`: a folder's time is its newest object's. */
  entry(target: string): EntryInfo {
    const node = this.need(target);
    if (node.type === 'file') return { type: 'file', size: node.size, mtimeMs: node.mtimeMs };
    return { type: 'dir', size: 0, mtimeMs: newest(node) };
  }

  /** Every object at or below `target`. */
  filesBelow(target: string): SnapshotFile[] {
    const node = this.find(target);
    return node === undefined ? [] : filesOf(node);
  }

  /** Every object of the tree, in no particular order. */
  files(): SnapshotFile[] {
    return this.filesBelow('/');
  }

  /** Takes a deleted object out; folders it leaves empty stay (removeEmptyDir takes them). */
  forget(key: string): void {
    const parts = key.split('/');
    const parent = this.find(`/${parts.slice(0, -1).join('/')}`);
    if (parent?.type === 'dir' && parent.children.get(parts[parts.length - 1]!)?.type === 'file') parent.children.delete(parts[parts.length - 1]!);
  }

  /** Takes an empty folder out: ENOTEMPTY while it holds an object, ENOENT when it is not there. */
  removeEmptyDir(target: string): void {
    const node = this.find(target);
    if (node === undefined) throw codedError('ENOENT', `${target} does not exist`);
    if (node.type !== 'dir') throw codedError('ENOTDIR', `${target} is not a folder`);
    if (this.filesBelow(target).length > 0) throw codedError('ENOTEMPTY', `${target} is not empty`);
    const cut = target.replace(/\/+$/, '');
    const slash = cut.lastIndexOf('/');
    const parent = this.find(cut.slice(0, slash) || '/');
    if (parent?.type === 'dir') parent.children.delete(cut.slice(slash + 1));
  }
}

function filesOf(node: SnapshotNode): SnapshotFile[] {
  const out: SnapshotFile[] = [];
  const walk = (n: SnapshotNode): void => {
    if (n.type === 'file') out.push(n);
    else for (const child of n.children.values()) walk(child);
  };
  walk(node);
  return out;
}

function newest(node: SnapshotDir): number {
  let time = 0;
  for (const child of node.children.values()) time = Math.max(time, child.type === 'file' ? child.mtimeMs : newest(child));
  return time;
}
