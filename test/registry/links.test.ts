import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeDigest } from '../../src/registry/digest.js';
import { nodeFileSystem, type FileSystem } from '../../src/storage/file-system.js';
import { readLink } from '../../src/registry/links.js';
import { tempDir } from '../../harness/tree.js';

const DIGEST = computeDigest('manifest');
const SHA512 = computeDigest('manifest', 'sha512');

let dir: string;
beforeEach(() => {
  dir = tempDir('registry-gc-links-');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function linkFile(content: string | Buffer): string {
  const file = path.join(dir, 'link');
  fs.writeFileSync(file, content);
  return file;
}

describe('readLink', () => {
  it('reads a digest written as the registry writes it', () => {
    expect(readLink(nodeFileSystem, linkFile(DIGEST))).toEqual({ state: 'ok', digest: DIGEST });
  });

  it('reads the longest valid link, a sha512 digest', () => {
    expect(SHA512).toHaveLength(135);
    expect(readLink(nodeFileSystem, linkFile(SHA512))).toEqual({ state: 'ok', digest: SHA512 });
  });

  it('reports a missing file as missing', () => {
    expect(readLink(nodeFileSystem, path.join(dir, 'link'))).toEqual({ state: 'missing' });
    expect(readLink(nodeFileSystem, path.join(dir, 'no', 'such', 'link'))).toEqual({ state: 'missing' });
  });

  it.each([
    ['a trailing newline', `${DIGEST}\n`],
    ['a trailing CRLF', `${DIGEST}\r\n`],
    ['leading white space', ` ${DIGEST}`],
    ['a path', '../../etc/passwd'],
    ['an empty file', ''],
    ['upper-case hex', DIGEST.toUpperCase()],
    ['a truncated digest', DIGEST.slice(0, -1)],
    ['an unknown algorithm', `md5:${'a'.repeat(32)}`],
    ['a NUL byte', `${DIGEST.slice(0, -1)}\0`],
  ])('reports %s as invalid, with the content', (_label, content) => {
    expect(readLink(nodeFileSystem, linkFile(content))).toEqual({ state: 'invalid', content });
  });

  it('reports content longer than any digest as invalid without returning it', () => {
    const result = readLink(nodeFileSystem, linkFile(`${SHA512}0`));
    expect(result.state).toBe('invalid');
    const huge = readLink(nodeFileSystem, linkFile(Buffer.alloc(1 << 20, 'a')));
    expect(huge.state).toBe('invalid');
    if (huge.state === 'invalid') expect(huge.content.length).toBeLessThan(200);
  });

  it('reports a directory where the link file should be as invalid', () => {
    const file = path.join(dir, 'link');
    fs.mkdirSync(file);
    expect(readLink(nodeFileSystem, file).state).toBe('invalid');
    // A directory with entries, whose size is larger than any link.
    for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(file, `entry-with-a-long-name-${i}`), '');
    expect(readLink(nodeFileSystem, file).state).toBe('invalid');
  });

  it('reports a symbolic link as the link file as symlink, even when it points at a valid link', () => {
    const target = path.join(dir, 'real-link');
    fs.writeFileSync(target, DIGEST);
    const file = path.join(dir, 'link');
    fs.symlinkSync(target, file);
    expect(readLink(nodeFileSystem, file)).toEqual({ state: 'symlink' });
  });

  it('reports a dangling symbolic link as symlink, not missing', () => {
    const file = path.join(dir, 'link');
    fs.symlinkSync(path.join(dir, 'nowhere'), file);
    expect(readLink(nodeFileSystem, file)).toEqual({ state: 'symlink' });
  });

  it('reports an I/O error such as EACCES as unreadable, with its message', () => {
    const calls: Array<{ file: string; maxBytes: number }> = [];
    const denied: FileSystem = {
      ...nodeFileSystem,
      read(file, maxBytes) {
        calls.push({ file, maxBytes });
        throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
      },
    };
    const file = linkFile(DIGEST);
    const result = readLink(denied, file);
    expect(result.state).toBe('unreadable');
    if (result.state === 'unreadable') expect(result.message).toContain('EACCES');
    expect(calls).toEqual([{ file, maxBytes: 135 }]);
  });

  it('reports an error without a code (e.g. EIO surfaced oddly) as unreadable, not missing', () => {
    const broken: FileSystem = {
      ...nodeFileSystem,
      read() {
        throw new Error('input/output error');
      },
    };
    expect(readLink(broken, linkFile(DIGEST))).toEqual({ state: 'unreadable', message: 'input/output error' });
  });
});

describe('readLink on special files', () => {
  it('a FIFO where the link should be is invalid, and reading it does not hang', () => {
    const dir = tempDir();
    const fifo = path.join(dir, 'link');
    execFileSync('mkfifo', [fifo]);
    expect(readLink(nodeFileSystem, fifo)).toEqual({ state: 'invalid', content: '(not a regular file)' });
  });
});
