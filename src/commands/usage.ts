/** The help text of the command line. */

export const USAGE = `usage: registry-gc [options] ROOT|CONFIG
       registry-gc plan [options] ROOT|CONFIG -o PLAN
       registry-gc apply [--dry-run] [--keep-trash] [--full-recheck] [--json] [-o REPORT] PLAN [ROOT|CONFIG]
       registry-gc purge [--older-than DURATION] [--json] ROOT|CONFIG
       registry-gc restore [--json] ROOT|CONFIG [RUN]

Offline garbage collection of a stopped Docker registry's storage (filesystem or s3).
ROOT is the registry's rootdirectory (the folder that holds docker/registry/v2).
CONFIG is the registry's config.yml instead: registry-gc then reads
storage.filesystem.rootdirectory (default /var/lib/registry) and
storage.maintenance.uploadpurging.age, after the registry's REGISTRY_*
environment overrides (e.g. REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY).
A relative rootdirectory is resolved against the current directory, as the
registry does: run registry-gc from the registry's working directory.
With storage.s3 (bucket, region, regionendpoint, rootdirectory, accesskey,
secretkey, secure; REGISTRY_STORAGE_S3_*; else the AWS environment or the
shared credentials file) the run collects the bucket: there is no trash on
S3, so --keep-trash and restore are refused. Other drivers are refused.

A real run moves everything it collects into a trash of the run, inside
ROOT but outside docker/registry/v2 (registry-gc-trash/RUN), one rename
each; when the last move is done it says on stderr that the registry may be
restarted, and then frees the trash. --keep-trash leaves the trash: purge
frees the trash (all runs, or those older than --older-than; safe while the
registry runs), restore puts the latest run (or RUN) back where it came
from, overwriting nothing (with the registry stopped).

plan writes what a run with the same options would delete (each item with
its reason and size, and a fingerprint) to PLAN, and deletes nothing.
apply re-checks every item of PLAN against the tree as it is now and
deletes only the items that are still garbage: it re-reads only what the
registry wrote since the plan (the repositories it changed, scanned and
marked again), so its offline window is the moves, not a scan; with
--full-recheck it makes a fresh mark of the whole tree first. It reports
what it skipped and why, and leaves alone garbage that the plan does not
list. Given ROOT|CONFIG, apply refuses a plan made for
another root. apply takes its options from the plan.

options:
  -d, --dry-run                    report what would be deleted, delete nothing
  -m, --delete-untagged            also delete manifests that no tag reaches
                                   (index children and referrers of kept images stay)
      --upload-age DURATION        delete uploads started longer ago than this
                                   ("168h", "30m", "7d"; default: the config's
                                   uploadpurging age, else 168h)
      --keep-uploads               delete no upload in progress
      --prune-layer-links          also remove a repository's layer links that
                                   none of its kept manifests references
      --remove-empty-repositories  remove repositories left with no tag,
                                   revision or upload
      --min-age DURATION           keep blobs, untagged manifests and uploads written
                                   less than this long ago (default 0: off)
      --strict                     refuse to delete when the registry looks like it
                                   is running (fresh uploads, the tree changing)
      --keep-trash                 move what is collected into the trash and leave it
                                   there (purge frees it, restore puts it back)
      --older-than DURATION        retention: only tags pushed longer ago may go;
                                   purge: only runs older than this ("7d")
      --full-recheck               apply: re-check the plan with a fresh scan of
                                   the whole tree (and list garbage not in it)
      --json                       print the report as one JSON object on stdout
  -o, --output FILE                also write the JSON report to FILE
                                   (plan: the file to write the plan to)
  -q, --quiet                      no progress line (the report still prints)
      --concurrency N              threads that scan repositories (default: cores, up to 4 on a waiting disk)
  -h, --help                       show this help
      --version                    show the version

retention (needs -m; without these no tag is deleted; see the README):
      --keep-last N                keep each repository's N most recently pushed tags
      --keep-tags REGEX            keep tags whose whole name matches (repeatable)
      --delete-tags REGEX          only tags whose whole name matches may go (repeatable)
      --repository GLOB            apply the rule above only to these repositories
                                   (repeatable; "team/*", "ci/**")
      --policy FILE                first-match rules per repository from a YAML file
      --delete-orphaned-tags       delete signature and referrer tags (sha256-<hex>,
                                   .sig, .att, .sbom) whose subject is gone, in
                                   every repository (not only --repository's)
      --protect-digest DIGEST      never delete this manifest nor a tag on it (repeatable)
      --no-keep-latest             let the rules delete "latest" too (kept by default)
      A tag goes when no keep rule holds and every given delete condition holds.

Progress is drawn on stderr when it is a terminal. Exit codes: 0 done,
1 the run failed (nothing deleted if it failed while marking) or a deletion
failed, 2 usage or config error, 130/143 interrupted.

examples:
  # stop the registry first; then see what would go:
  registry-gc --dry-run /var/lib/registry
  # delete unreferenced blobs (the reference's "garbage-collect"):
  registry-gc /var/lib/registry
  # also delete untagged manifests (multi-arch children and signatures stay):
  registry-gc -m /var/lib/registry
  # read the root from the registry's own config, keep a JSON record:
  registry-gc -m /etc/docker/registry/config.yml --output gc-report.json
  # a script reads the report:
  registry-gc --dry-run --json /var/lib/registry | jq .blobs.deletedBytes
  # review before deleting: write a plan, read it, then apply it:
  registry-gc plan -m /var/lib/registry -o plan.json
  registry-gc apply --dry-run plan.json /var/lib/registry
  registry-gc apply plan.json /var/lib/registry
  # keep an undo: move out, restart the registry, free the trash a week later:
  registry-gc -m --keep-trash /var/lib/registry
  registry-gc restore /var/lib/registry        # if something was wrong
  registry-gc purge --older-than 7d /var/lib/registry
  # retention: per repository keep the 10 newest tags and releases, delete
  # other build tags older than 30 days, and signatures left without an image:
  registry-gc -m --keep-last 10 --keep-tags 'v\d+\.\d+\.\d+' --older-than 30d \
    --delete-tags 'build-.*' --delete-orphaned-tags /var/lib/registry`;
