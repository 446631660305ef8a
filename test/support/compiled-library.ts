/**
 * The compiled library (`npm test` builds first), for tests whose storage
 * must look like the disk backend's to the sweep (moves or reads answered on
 * another turn, as threads answer): its MemoryStorage, the options that
 * collect every kind, and the registry's files of a storage.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'index.js');
export type Library = typeof import('../../src/index.js');
export type Memory = InstanceType<Library['MemoryStorage']>;
export const loadCompiled = async () => (await import(dist)) as Library;

/** Every kind of garbage collected, the trash kept, at a fixed time. */
export const EVERYTHING = { deleteUntagged: true, pruneLayerLinks: true, removeEmptyRepositories: true, now: new Date('2026-11-29T12:00:00Z'), trash: 'keep' as const };

/** Every file of `storage` below `root`, by relative path, as text. */
export const filesOf = (storage: Memory, root: string) =>
  new Map([...storage.files(root)].map(([file, data]): [string, string] => [path.relative(root, file), data.toString('latin1')]));

/** The registry's own files (`docker/…`): what must be the same whatever the trash's names. */
export const registryFiles = (storage: Memory, root: string) => new Map([...filesOf(storage, root)].filter(([file]) => file.startsWith('docker/')));
