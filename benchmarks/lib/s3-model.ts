/**
 * The S3 benchmark's records (issue 16), stored as `benchmarks/results/s3.json`
 * and rendered by results-s3.ts: one sitting on one radosgw, ours against the
 * reference and the request floor, every request counted by the proxy in
 * front of radosgw.
 */
import type { BuildInfo, Machine, Sample, TreeSummary } from './bench-model.js';

export type S3Mode = 'dry' | 'dry-m' | 'delete-m';
export const S3_MODES: readonly S3Mode[] = ['dry', 'dry-m', 'delete-m'];
export const S3_MODE_LABELS: Record<S3Mode, string> = {
  dry: 'dry run',
  'dry-m': '`-m` dry run',
  'delete-m': 'real `-m` run (a fresh bucket per run)',
};

/** What one run asked of S3, from the proxy's log. */
export interface RequestCounts {
  total: number;
  /** By request kind: `list` (flat ListObjectsV2), `listDelimiter` (grouped at `/`), `stat` (a list of `max-keys=1`, the reference's Stat), `get`, `head`, `put`, `delete`, `deleteObjects`, `other`. */
  byKind: Record<string, number>;
  /** GETs by what they read: `revisionLink`, `tagCurrentLink`, `tagIndexLink`, `startedAt`, `layerLink`, `manifest`, `blob` (a blob that is no manifest), `lock`, `other`. */
  gets: Record<string, number>;
  /** GETs of a key already read in the same run. */
  repeatedGets: number;
  /** HEADs, GETs and max-keys=1 listings of one blob that is no manifest: the requests a collector makes per blob kept. */
  perBlob: number;
  /** Keys sent in DeleteObjects bodies. */
  deleteObjectsKeys: number;
  /** Keys of each DeleteObjects in the order sent, run-length coded: `[keys, requests in a row]` (the reference sends thousands of 1-key ones). */
  deleteObjectsSizes: [number, number][];
}

export interface S3Sample extends Sample {
  requests: RequestCounts;
  /** Real runs: keys left in the bucket (below the rootdirectory). */
  keysLeft?: number;
  /** registry-gc's real runs: report kinds with deletions (each a sweep phase, whose last DeleteObjects may be partial). */
  deletingPhases?: number;
}

export interface S3FloorSample {
  /** From the first listing request to the last read's answer (no process start-up). */
  seconds: number;
  /** When the last listing page had come back. */
  listSeconds: number;
  /** Through the counting proxy (as the tools), or straight to radosgw. */
  direct: boolean;
  pages: number;
  keys: number;
  reads: { revisionLinks: number; tagCurrentLinks: number; startedAt: number; manifests: number };
  requests: Record<string, number>;
}

/** The tree's keys by kind: what the budgets and the floor count. */
export interface TreeKeys {
  keys: number;
  blobs: number;
  manifests: number;
  revisionLinks: number;
  tagCurrentLinks: number;
  tagIndexLinks: number;
  layerLinks: number;
  uploads: number;
  /** Folders a flat listing is split at: top-level repository folders and `blobs/<alg>/<xx>/`. */
  splitPrefixes: number;
}

export interface S3ModeResult {
  mode: S3Mode;
  date: string;
  loadBefore: number[];
  loadAfter: number[];
  seconds: number;
  ours: S3Sample[];
  reference: S3Sample[];
  /** Dry modes: the floor through the proxy and straight to radosgw, alternating with the tools. */
  floor: S3FloorSample[];
  warmup: { ours?: number; floor?: number };
  /** Real runs: seconds to upload each fresh bucket (not timed as a run). */
  uploads?: number[];
  checks: string[];
  problems: string[];
}

export interface S3Record {
  kind: 's3';
  date: string;
  build: BuildInfo;
  machine: Machine;
  radosgw: string;
  /** Whole invocation, including uploads and the disk guard. */
  seconds: number;
  tree: { preset: string; repositories: number; summary: TreeSummary; keys: TreeKeys };
  requestsInFlight: number;
  modes: Partial<Record<S3Mode, S3ModeResult>>;
  /** registry-gc's real `-m` run on a disk copy of the same tree: what the bucket must hold after ours. */
  guard: { keysLeft: number; seconds: number; error?: string };
}
