/**
 * MemoryStorage answers as the file system does, where the collector cares:
 * no call follows a symbolic link, errors carry the codes node:fs gives, and
 * a folder it writes to changes its mtime.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeStorage } from '../../src/storage/node-storage.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { tempDir } from '../../harness/tree.js';

function sample(): string {
  const root = tempDir();
  fs.mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
  fs.writeFileSync(path.join(root, 'a', 'link'), 'sha256:x');
  fs.writeFileSync(path.join(root, 'a', 'b', 'data'), 'bytes');
  fs.symlinkSync(path.join(root, 'a'), path.join(root, 'linked'));
  return root;
}

const code = (call: () => unknown) => {
  try {
    call();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'none';
};

describe('MemoryStorage', () => {
  it('lists, reads and inspects as node:fs does, links never followed', () => {
    const root = sample();
    const memory = MemoryStorage.fromDirectory(root);
    const disk = nodeStorage.reader;
    const sorted = (entries: { name: string; type: string }[]) => [...entries].sort((x, y) => (x.name < y.name ? -1 : 1));
    expect(sorted(memory.reader.list(root))).toEqual(sorted(disk.list(root)));
    expect(memory.reader.read(path.join(root, 'a', 'link'), 100)).toEqual(disk.read(path.join(root, 'a', 'link'), 100));
    for (const [target, max] of [
      [path.join(root, 'linked'), 100],
      [path.join(root, 'a'), 100],
      [path.join(root, 'a', 'nothing'), 100],
      [path.join(root, 'a', 'link'), 3],
    ] as const) {
      expect(code(() => memory.reader.read(target, max)), target).toBe(code(() => disk.read(target, max)));
    }
    expect(memory.reader.entry(path.join(root, 'linked')).type).toBe('symlink');
    expect(memory.reader.entry(path.join(root, 'a', 'b', 'data'))).toMatchObject({ type: 'file', size: 5 });
    expect(code(() => memory.reader.list(path.join(root, 'a', 'link')))).toBe('ENOTDIR');
  });

  it('removes trees and empty folders only, and injected faults fail with their code', async () => {
    const root = sample();
    const memory = MemoryStorage.fromDirectory(root);
    await expect(memory.removeEmptyDir(path.join(root, 'a'))).rejects.toMatchObject({ code: 'ENOTEMPTY' });
    await memory.remove(path.join(root, 'linked'));
    expect(memory.reader.entry(path.join(root, 'a')).type).toBe('dir');
    memory.inject({ op: 'remove', path: path.join(root, 'a', 'b'), code: 'EACCES' });
    await expect(memory.remove(path.join(root, 'a', 'b'))).rejects.toMatchObject({ code: 'EACCES' });
    await memory.remove(path.join(root, 'a'));
    await expect(memory.remove(path.join(root, 'a'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect([...memory.files(root).keys()]).toEqual([]);
  });

  it('renames a tree in one step, as node:fs does (a file at the target is replaced)', async () => {
    const root = sample();
    const memory = MemoryStorage.fromDirectory(root);
    const copy = sample();
    for (const [storage, top] of [[memory, root], [nodeStorage, copy]] as const) {
      await storage.rename!(path.join(top, 'a', 'b'), path.join(top, 'moved'));
      expect(storage.reader.read(path.join(top, 'moved', 'data'), 100).toString()).toBe('bytes');
      expect(code(() => storage.reader.entry(path.join(top, 'a', 'b')))).toBe('ENOENT');
      await storage.rename!(path.join(top, 'a', 'link'), path.join(top, 'moved', 'data'));
      expect(storage.reader.read(path.join(top, 'moved', 'data'), 100).toString()).toBe('sha256:x');
    }
    expect([...memory.files(root).keys()].map((f) => path.relative(root, f)).sort()).toEqual(['linked', 'moved/data']);
  });

  it('creates the lock file exclusively', async () => {
    const root = sample();
    const memory = MemoryStorage.fromDirectory(root);
    const lock = path.join(root, 'a', 'lock');
    await memory.ownFiles.create(lock, 'me');
    await expect(memory.ownFiles.create(lock, 'you')).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await memory.ownFiles.read(lock)).toBe('me');
    await memory.ownFiles.remove(lock);
    await memory.ownFiles.create(lock, 'you');
    expect(await memory.ownFiles.read(lock)).toBe('you');
  });
});
