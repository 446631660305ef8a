/** The private config and environment of radosgw.ts's throw-away Ceph cluster. */

/** Ours without CEPH_* (CEPH_ARGS, CEPH_CONF would change what the daemons and tools read). */
export function cephEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toUpperCase().startsWith('CEPH_')));
}

/**
 * The cluster's private config. Every line below was needed, or cut
 * start-up or response times, on Ceph 16.2:
 * - auth none everywhere, and `ms mon client mode = crc`: with auth none and
 *   the default (secure) mode radosgw loops on error -13 talking to the mon;
 * - `paxos propose interval = 0.05`: start-up 3 s instead of 16 s;
 * - size 1 pools of 8 PGs on the one OSD (no mgr, so no autoscaler);
 * - `tcp_nodelay=1` on beast: else every small response waits ~45 ms;
 * - `ms bind retry count = 1` (one try; 0 means none, EPERM): a port taken by someone else fails at once
 *   (EADDRINUSE, retried with new ports) instead of after 3 x 5 s;
 * - `mon cluster log to file = false`: else the mon writes
 *   /var/log/ceph/ceph.log and ceph.audit.log whatever `log file` says;
 * - `admin socket =` (none): nothing needs them, and a long TMPDIR would
 *   overflow a Unix socket path.
 */
export function cephConf(dir: string, fsid: string, monPort: number, rgwPort: number): string {
  return [
    '[global]',
    `fsid = ${fsid}`,
    `mon host = [v2:127.0.0.1:${monPort}]`,
    'mon initial members = a',
    'public addr = 127.0.0.1',
    'cluster addr = 127.0.0.1',
    'ms bind ipv4 = true',
    'ms bind ipv6 = false',
    'ms bind retry count = 1',
    'auth cluster required = none',
    'auth service required = none',
    'auth client required = none',
    'ms mon client mode = crc',
    'mon allow pool size one = true',
    'mon allow pool delete = true',
    'mon max pg per osd = 1000',
    'mon cluster log to file = false',
    'paxos propose interval = 0.05',
    'osd objectstore = memstore',
    'osd pool default size = 1',
    'osd pool default min size = 1',
    'osd pool default pg num = 8',
    'osd pool default pgp num = 8',
    'osd crush chooseleaf type = 0',
    `run dir = ${dir}/run`,
    `crash dir = ${dir}/crash`,
    'admin socket =',
    `log file = ${dir}/log/$name.log`,
    `pid file = ${dir}/run/$name.pid`,
    `keyring = ${dir}/keyring`,
    `mon data = ${dir}/mon`,
    `osd data = ${dir}/osd`,
    `rgw data = ${dir}/rgw`,
    '',
    '[client.rgw]',
    `rgw frontends = beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1`,
    'rgw exit timeout secs = 5',
    '',
  ].join('\n');
}
