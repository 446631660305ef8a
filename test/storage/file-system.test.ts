/**
 * nodeFileSystem.remove with the `onlyFile` hint: the short path (lstat,
 * unlink, rmdir) must end exactly where the general removal ends, and never
 * reach through a symbolic link.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileSystem } from '../../src/storage/file-system.js';
import { snapshot, tempDir } from '../../harness/tree.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('registry-gc-fs-');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function folder(name: string, files: Record<string, string>): string {
  const target = path.join(dir, name);
  fs.mkdirSync(target);
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
    fs.writeFileSync(path.join(target, file), content);
  }
  return target;
}

describe('nodeFileSystem.remove with the one file a folder holds', () => {
  it('removes a folder holding just that file, and leaves its neighbours', () => {
    const target = folder('blob', { data: 'bytes' });
    folder('kept', { data: 'other bytes' });
    nodeFileSystem.remove(target, path.join(target, 'data'));
    expect(fs.existsSync(target)).toBe(false);
    expect([...snapshot(dir).keys()]).toEqual(['kept/data']);
  });

  it('removes an empty folder whose file is already gone', () => {
    const target = folder('revision', {});
    nodeFileSystem.remove(target, path.join(target, 'link'));
    expect(fs.existsSync(target)).toBe(false);
  });

  it('removes the whole folder when it holds more than the file, as the general removal does', () => {
    const target = folder('upload', { data: 'x', startedat: 't', 'hashstates/sha256/0': 's' });
    nodeFileSystem.remove(target, path.join(target, 'data'));
    expect(fs.existsSync(target)).toBe(false);
  });

  it('removes the folder when the "file" is a folder itself', () => {
    const target = folder('odd', { 'link/inner': 'x' });
    nodeFileSystem.remove(target, path.join(target, 'link'));
    expect(fs.existsSync(target)).toBe(false);
  });

  it('removes only the symbolic link found in place of the folder, never what it leads to', () => {
    const elsewhere = folder('elsewhere', { data: 'must survive' });
    const target = path.join(dir, 'blob');
    fs.symlinkSync(elsewhere, target);
    nodeFileSystem.remove(target, path.join(target, 'data'));
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.readFileSync(path.join(elsewhere, 'data'), 'utf8')).toBe('must survive');
  });

  it('removes a plain file found in place of the folder', () => {
    const target = path.join(dir, 'blob');
    fs.writeFileSync(target, 'not a folder');
    nodeFileSystem.remove(target, path.join(target, 'data'));
    expect(fs.existsSync(target)).toBe(false);
  });

  it('says ENOENT when the folder is already gone', () => {
    const target = path.join(dir, 'gone');
    expect(() => nodeFileSystem.remove(target, path.join(target, 'data'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
