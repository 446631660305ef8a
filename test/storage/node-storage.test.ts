/**
 * The disk backend's journal appends: write(2) may write less than asked,
 * and a line cut short must never take the next line with it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { nodeStorage, writeAll } from '../../src/storage/node-storage.js';
import { journalLine, parseJournal, type JournalRecord } from '../../src/trash/journal.js';
import { tempDir } from '../../harness/tree.js';

const move = (seq: number): JournalRecord => ({ op: 'move', seq, from: `docker/registry/v2/blobs/sha256/ab/${String(seq).padStart(64, 'a')}`, file: 'data' });


describe('writeAll', () => {
  it('goes on after short writes until every byte is written', () => {
    const data = Buffer.from('0123456789'.repeat(10));
    const out: Buffer[] = [];
    writeAll((buffer, offset) => {
      const n = Math.min(7, buffer.length - offset);
      out.push(buffer.subarray(offset, offset + n));
      return n;
    }, data);
    expect(Buffer.concat(out).equals(data)).toBe(true);
  });

  it('a write that writes nothing is a full disk, not a loop', () => {
    expect(() => writeAll(() => 0, Buffer.from('line\n'))).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
  });
});

describe('nodeStorage.ownFiles.openAppend', () => {
  it('after an append that failed part-way, the next line is whole and parses; only the torn one is lost', async () => {
    const file = path.join(tempDir(), 'journal.jsonl');
    const journal = await nodeStorage.ownFiles.openAppend(file);
    await journal.append(journalLine(move(0)));
    const realWrite = fs.writeSync;
    let calls = 0;
    const spy = vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buffer: Buffer, offset: number) => {
      // The first call writes a few bytes of the line, the next finds the disk full.
      if (calls++ === 0) return realWrite(fd, buffer, offset, 12);
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync);
    try {
      await expect(journal.append(journalLine(move(1)))).rejects.toMatchObject({ code: 'ENOSPC' });
    } finally {
      spy.mockRestore();
    }
    await journal.append(journalLine(move(2)) + journalLine(move(3)));
    await journal.append(journalLine(move(4)));
    await journal.close();
    const text = fs.readFileSync(file, 'utf8');
    expect(parseJournal(text).records).toEqual([move(0), move(2), move(3), move(4)]);
    // The torn fragment alone on its line; the lines after it as written, with no blank line between.
    expect(text).toBe(journalLine(move(0)) + journalLine(move(1)).slice(0, 12) + '\n' + [2, 3, 4].map((n) => journalLine(move(n))).join(''));
  });

  it('a journal left torn by a killed process: the next append starts on its own line', async () => {
    const file = path.join(tempDir(), 'journal.jsonl');
    fs.writeFileSync(file, journalLine(move(0)) + journalLine(move(1)).slice(0, 20));
    const journal = await nodeStorage.ownFiles.openAppend(file);
    await journal.append(journalLine({ op: 'purge' }));
    await journal.close();
    expect(parseJournal(fs.readFileSync(file, 'utf8')).records).toEqual([move(0), { op: 'purge' }]);
  });

  it('a write that fails before any byte leaves at most a blank line', async () => {
    const file = path.join(tempDir(), 'journal.jsonl');
    const journal = await nodeStorage.ownFiles.openAppend(file);
    const spy = vi.spyOn(fs, 'writeSync').mockImplementation((() => 0) as unknown as typeof fs.writeSync);
    try {
      await expect(journal.append(journalLine(move(0)))).rejects.toMatchObject({ code: 'ENOSPC' });
    } finally {
      spy.mockRestore();
    }
    await journal.append(journalLine(move(1)));
    await journal.close();
    expect(parseJournal(fs.readFileSync(file, 'utf8')).records).toEqual([move(1)]);
  });

  it('appends lines as given when nothing fails', async () => {
    const file = path.join(tempDir(), 'journal.jsonl');
    const journal = await nodeStorage.ownFiles.openAppend(file);
    const lines = Array.from({ length: 300 }, (_, i) => journalLine(move(i)));
    await journal.append(lines.slice(0, 100).join(''));
    await journal.append(lines.slice(100).join(''));
    await journal.close();
    expect(fs.readFileSync(file, 'utf8')).toBe(lines.join(''));
  });
});
