/**
 * One collector at a time: an exclusive-create lock file under
 * `docker/registry/v2`, holding the holder's pid, host and start time.
 *
 * A lock left by a process that is gone (same host, pid not alive) is taken
 * over with a warning. The take-over renames the stale file away first, so
 * that of two collectors finding the same stale lock only one wins; a lock
 * whose holder is alive, or that was written on another host (whose pids we
 * cannot check), is never taken over: the second run fails and names it.
 */
import os from 'node:os';
import path from 'node:path';
import { RegistryGcError } from '../report/errors.js';
import { errorCode } from '../storage/errno.js';
import type { RegistryLayout } from '../registry/layout.js';
import type { Findings } from '../report/findings.js';
import type { Storage } from '../storage/storage.js';

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

export interface Lock {
  readonly path: string;
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return errorCode(error) === 'EPERM';
  }
}

async function readHolder(storage: Storage, file: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await storage.ownFiles.read(file)) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.startedAt === 'string') {
      return { pid: parsed.pid, host: parsed.host, startedAt: parsed.startedAt };
    }
  } catch {
    // Unreadable or half-written: treated as held, below.
  }
  return undefined;
}

function describeHolder(holder: LockHolder | undefined): string {
  return holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}` : 'an unknown holder (the lock file is unreadable)';
}

async function tryCreate(storage: Storage, file: string, holder: LockHolder): Promise<boolean> {
  try {
    await storage.ownFiles.create(file, `${JSON.stringify(holder)}\n`);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw new RegistryGcError('E_IO', `cannot create the lock file ${file}: ${(error as Error).message}`, [], { cause: error });
  }
}

/**
 * What a collector killed while taking the lock leaves beside it:
 * `<lock>.new-<pid>` (written before it is linked into place: ownFiles.create)
 * and `<lock>.stale-<pid>` (a stale lock moved aside). Removed by the next
 * collector that holds the lock, once their process is gone (a pid of this
 * host: on storage shared between hosts, a live collector elsewhere whose
 * leftover this removes fails to take the lock, and says so).
 */
async function removeLeftovers(storage: Storage, file: string): Promise<void> {
  const dir = path.dirname(file);
  const pattern = new RegExp(`^${path.basename(file).replace(/[.]/g, '\\.')}\\.(?:new|stale)-(\\d+)$`);
  let entries;
  try {
    entries = await storage.list(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = Number(pattern.exec(entry.name)?.[1] ?? Number.NaN);
    if (entry.type !== 'file' || !Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await storage.ownFiles.remove(`${dir}/${entry.name}`);
  }
}

function ownLock(storage: Storage, file: string, me: LockHolder): Lock {
  return {
    path: file,
    release: async () => {
      // Only our own lock: a lock someone took over from us is theirs now.
      if ((await readHolder(storage, file))?.pid === me.pid) await storage.ownFiles.remove(file);
    },
  };
}

/** A lock the storage cannot make exclusive: a warning, or with `strict` a refusal (the lock is released first). */
async function bestEffort(layout: RegistryLayout, storage: Storage, findings: Findings, strict: boolean): Promise<void> {
  const file = layout.lockFile;
  const why = 'the storage accepted a second exclusive create of the lock (it ignores If-None-Match), so a second collector would not be kept out';
  if (!strict) {
    findings.warn('lock_best_effort', file, `${why}: make sure only one collector runs`);
    return;
  }
  await storage.ownFiles.remove(file);
  throw new RegistryGcError('E_LOCKED', `${why} (strict mode); nothing was deleted`, [{ code: 'lock_best_effort', path: layout.relative(file), message: why }]);
}

/** Takes the lock or throws E_LOCKED naming the holder. */
export async function acquireLock(layout: RegistryLayout, storage: Storage, findings: Findings, strict = false): Promise<Lock> {
  const file = layout.lockFile;
  const me: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryCreate(storage, file, me)) {
      if (storage.ownFiles.createIsExclusive?.() === false) await bestEffort(layout, storage, findings, strict);
      await removeLeftovers(storage, file);
      return ownLock(storage, file, me);
    }
    const holder = await readHolder(storage, file);
    if (holder !== undefined && holder.pid === me.pid && holder.host === me.host && holder.startedAt === me.startedAt) {
      // Our own create, whose answer was lost and whose retry was refused (an object store's request retried).
      await removeLeftovers(storage, file);
      return ownLock(storage, file, me);
    }
    const stale = holder !== undefined && holder.host === me.host && holder.pid !== me.pid && !isAlive(holder.pid);
    if (!stale) {
      throw new RegistryGcError('E_LOCKED', `another registry-gc holds ${file}: ${describeHolder(holder)}. If no collector runs, remove the file and retry.`, [
        { code: 'locked', path: layout.relative(file), message: describeHolder(holder) },
      ]);
    }
    const aside = `${file}.stale-${me.pid}`;
    try {
      await storage.ownFiles.rename(file, aside);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') continue; // another collector took it over first; try again
      if (errorCode(error) === 'ENOTSUP') {
        // Without an atomic move (S3), two collectors taking over one stale lock could both win.
        throw new RegistryGcError('E_LOCKED', `${file} was left by ${describeHolder(holder)}, which is no longer running, and this storage cannot take a lock over safely: if no collector runs, delete it and retry.`, [
          { code: 'locked', path: layout.relative(file), message: describeHolder(holder) },
        ]);
      }
      throw error;
    }
    if ((await readHolder(storage, aside))?.pid !== holder.pid) {
      // We moved a fresh lock that a racer had just written: put it back and give way.
      await storage.ownFiles.rename(aside, file);
      continue;
    }
    await storage.ownFiles.remove(aside);
    findings.warn('stale_lock', file, `took over a lock left by ${describeHolder(holder)}, which is no longer running`);
  }
  throw new RegistryGcError('E_LOCKED', `could not take the lock ${file}: other collectors keep taking it`);
}
