/**
 * The tree a MemoryStorage holds: folders, files and symbolic links with
 * their mtimes, addressed by absolute path. Nothing here follows a link.
 */
import fs from 'node:fs';
import path from 'node:path';
import { codedError } from './errno.js';

export type MemoryNode =
  | { readonly type: 'dir'; readonly children: Map<string, MemoryNode>; mtimeMs: number }
  | { readonly type: 'file'; readonly data: Uint8Array; mtimeMs: number }
  | { readonly type: 'symlink'; readonly target: string; mtimeMs: number };

export type MemoryDir = MemoryNode & { type: 'dir' };

export const memoryDir = (mtimeMs: number): MemoryDir => ({ type: 'dir', children: new Map(), mtimeMs });

/** A copy of the folder `source` on disk (files, folders, symbolic links, with their mtimes). */
export function copyOfDirectory(source: string): MemoryNode {
  const stats = fs.lstatSync(source);
  if (stats.isSymbolicLink()) return { type: 'symlink', target: fs.readlinkSync(source), mtimeMs: stats.mtimeMs };
  if (stats.isFile()) return { type: 'file', data: fs.readFileSync(source), mtimeMs: stats.mtimeMs };
  const node = memoryDir(stats.mtimeMs);
  for (const name of fs.readdirSync(source)) node.children.set(name, copyOfDirectory(path.join(source, name)));
  return node;
}

export class MemoryTree {
  /** `now`: the mtime given to what is written (a fixed clock: runs compare equal). */
  constructor(
    readonly root: MemoryDir,
    readonly now: number,
  ) {}
  /** Every file below `top` (absolute), with its bytes, sorted: for comparing trees. */
  files(top: string): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    const walk = (node: MemoryNode, p: string): void => {
      if (node.type === 'file') out.set(p, Buffer.from(node.data));
      else if (node.type === 'symlink') out.set(p, Buffer.from(`-> ${node.target}`));
      else for (const name of [...node.children.keys()].sort()) walk(node.children.get(name)!, `${p}/${name}`);
    };
    const start = this.find(path.resolve(top));
    if (start) walk(start, path.resolve(top));
    return out;
  }
  /** Writes a file (and the folders above it), as a registry would. */
  write(file: string, data: string | Uint8Array, mtimeMs = this.now): void {
    const parent = this.ensureDir(path.dirname(file));
    parent.children.set(path.basename(file), { type: 'file', data: typeof data === 'string' ? Buffer.from(data) : data, mtimeMs });
    parent.mtimeMs = mtimeMs;
  }
  /** The node at `target`, never through a symbolic link on the way. */
  find(target: string): MemoryNode | undefined {
    let node: MemoryNode = this.root;
    for (const part of target.split('/').filter(Boolean)) {
      if (node.type !== 'dir') return undefined;
      const child = node.children.get(part);
      if (!child) return undefined;
      node = child;
    }
    return node;
  }

  /**
   * The node at `target`. A symbolic link or a file on the way is an error
   * (ELOOP, ENOTDIR), never "not there": node:fs would follow the link, and a
   * caller must not take a path it could not reach for one already gone.
   */
  need(target: string): MemoryNode {
    let node: MemoryNode = this.root;
    let at = '';
    for (const part of target.split('/').filter(Boolean)) {
      if (node.type === 'symlink') throw codedError('ELOOP', `${at} is a symbolic link`);
      if (node.type === 'file') throw codedError('ENOTDIR', `${at} is not a directory`);
      const child = node.children.get(part);
      if (!child) throw codedError('ENOENT', `${target} does not exist`);
      node = child;
      at += `/${part}`;
    }
    return node;
  }

  detach(target: string): void {
    const parent = this.find(path.dirname(target));
    if (parent?.type === 'dir') {
      parent.children.delete(path.basename(target));
      parent.mtimeMs = this.now;
    }
  }

  ensureDir(d: string): MemoryNode & { type: 'dir' } {
    let node: MemoryNode & { type: 'dir' } = this.root;
    for (const part of d.split('/').filter(Boolean)) {
      const child: MemoryNode = node.children.get(part) ?? memoryDir(this.now);
      if (child.type !== 'dir') throw codedError('ENOTDIR', `${d}: ${part} is not a directory`);
      node.children.set(part, child);
      node = child;
    }
    return node;
  }
}
