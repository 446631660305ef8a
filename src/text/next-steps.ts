/**
 * What the operator should do after the run (spec §6). After an offline
 * collection the registry's blob-descriptor cache (in memory, or Redis) may
 * still say that deleted blobs exist; a push would then skip uploading a
 * layer the registry no longer has. So: restart the registry before it
 * serves pushes again, and flush Redis when the cache lives there. Whether
 * it does is known only when a config was given.
 */
import type { RegistryConfig } from '../config/config.js';
import { deletedAnything } from '../report/queries.js';
import type { Report } from '../report/report.js';

/** `host:port` or `[v6]:port` → redis-cli arguments. */
function hostAndPort(addr: string | undefined): string[] {
  if (!addr) return [];
  const colon = addr.lastIndexOf(':');
  const host = (colon > 0 ? addr.slice(0, colon) : addr).replace(/^\[(.*)\]$/, '$1');
  const port = colon > 0 ? addr.slice(colon + 1) : '';
  return ['-h', host, ...(port ? ['-p', port] : [])];
}

function redisLines(config: RegistryConfig | undefined): string[] {
  if (config === undefined) {
    return ['  2. if the registry caches blob descriptors in Redis (cache.blobdescriptor: redis), flush that', '     cache too: it may still name deleted blobs.'];
  }
  if (config.blobDescriptorCache !== 'redis') return [];
  const where = config.redis?.addr ? ` at ${config.redis.addr}${config.redis.db !== undefined ? `, db ${config.redis.db}` : ''}` : '';
  const cli = ['redis-cli', ...hostAndPort(config.redis?.addr), ...(config.redis?.db !== undefined ? ['-n', String(config.redis.db)] : []), 'FLUSHDB'].join(' ');
  return [
    `  2. flush the registry's Redis blob-descriptor cache${where}: it may still name deleted blobs.`,
    `     if that database serves only the registry: ${cli}`,
  ];
}

/** A kept trash: how to free it, and how to undo the run. */
function trashLines(report: Report): string[] {
  if (report.trash === undefined || report.trash.purged) return [];
  return [
    `  -  the trash of this run is kept in ${report.trash.path}:`,
    `     "registry-gc purge ${report.root}" frees it (safe while the registry runs; --older-than 7d keeps a week);`,
    `     "registry-gc restore ${report.root} ${report.trash.run}" puts it all back (with the registry stopped).`,
  ];
}

/** Lines to print after the summary; empty when there is nothing to do. */
export function nextSteps(report: Report, config: RegistryConfig | undefined): string[] {
  if (report.dryRun) {
    return deletedAnything(report)
      ? ['next: this was a dry run: nothing was deleted. With the registry stopped,', '      run the same command without -d/--dry-run to delete.']
      : [];
  }
  if (!deletedAnything(report)) return [];
  const steps = [
    '  1. restart the registry before it serves pushes again: its blob-descriptor cache may still claim',
    '     deleted blobs exist, and a push would then skip uploading a layer the registry no longer has.',
    ...redisLines(config),
    ...trashLines(report),
  ];
  return ['next steps:', ...steps];
}
