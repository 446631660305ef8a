/**
 * The runner's command line.
 */
import path from 'node:path';
import { PRESETS, isPresetName } from '../presets.js';
import { MODE_ORDER, Mode, isMode } from './bench-model.js';

// Options -------------------------------------------------------------------------------

export interface Options {
  preset: string | undefined;
  scaling: boolean;
  render: boolean;
  runs: number;
  referenceRuns: number | undefined;
  deleteRuns: number;
  modes: Mode[] | undefined;
  reference: boolean;
  floor: boolean;
  floorWorkers: number;
  strace: 'all' | 'ours' | 'none';
  straceTimeout: number;
  timeout: number;
  generateTimeout: number;
  /** Before each mode, wait (up to maxWait s) until the 1-minute load average is at most this. */
  maxLoad: number | undefined;
  maxWait: number;
  /** How delete modes copy the tree: hard links (`cp -al`, default) or a full copy (`cp -a`). */
  copy: 'hardlink' | 'full';
  trees: string;
  regenerate: boolean;
  oursArgs: string[];
}

export const USAGE = `usage: npm run bench -- --preset small|standard|standard-half|tags|mid|large [options]
       npm run bench -- --scaling [options]      (standard-half against standard)
       npm run bench -- --render                 (rebuild benchmarks/RESULTS.md only)
options:
  --modes LIST          dry,dry-m,delete-m,delete,offline-m,offline-apply (default: dry,dry-m,delete-m; scaling: dry,dry-m)
  --runs N              timed runs per tool in dry modes (default 3)
  --reference-runs N    timed runs of the reference in dry modes (default: --runs)
  --delete-runs N       timed runs per tool in delete modes (delete, delete-m, offline-m, offline-apply), each on a fresh copy (default 1)
  --no-reference        registry-gc (and the floor) only
  --no-floor            no floor measurement
  --floor-workers N     worker threads of the floor besides the main thread (default 1)
  --strace all|ours|none  one extra run per tool under strace -f -c (default all)
  --strace-timeout S    timeout of a strace run (default 900)
  --timeout S           timeout of every other child process (default 1800)
  --generate-timeout S  timeout of generating a tree (default 3600)
  --max-load L          before each mode, wait until the 1-minute load average is ≤ L ...
  --max-wait S          ... for at most S seconds (default 600), then measure anyway
  --copy hardlink|full  delete modes copy the tree with cp -al (default) or cp -a
  --trees DIR           where trees live (default /work/bench-trees)
  --regenerate          generate the tree again even if it exists
  --ours-arg ARG        extra argument for registry-gc (repeatable)`;

export function parseOptions(argv: readonly string[]): Options {
  const o: Options = {
    preset: undefined,
    scaling: false,
    render: false,
    runs: 3,
    referenceRuns: undefined,
    deleteRuns: 1,
    modes: undefined,
    reference: true,
    floor: true,
    floorWorkers: 1,
    strace: 'all',
    straceTimeout: 900,
    timeout: 1800,
    generateTimeout: 3600,
    maxLoad: undefined,
    maxWait: 600,
    copy: 'hardlink',
    trees: '/work/bench-trees',
    regenerate: false,
    oursArgs: [],
  };
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new UsageError(`${flag} needs an integer ≥ ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const next = (): string | undefined => argv[++i];
    switch (a) {
      case '--':
        break;
      case '--preset':
        o.preset = next();
        break;
      case '--scaling':
        o.scaling = true;
        break;
      case '--render':
        o.render = true;
        break;
      case '--runs':
        o.runs = int(a, next(), 1);
        break;
      case '--reference-runs':
        o.referenceRuns = int(a, next(), 0);
        break;
      case '--delete-runs':
        o.deleteRuns = int(a, next(), 1);
        break;
      case '--modes': {
        const list = (next() ?? '').split(',').filter((m) => m !== '');
        const bad = list.filter((m) => !isMode(m));
        if (list.length === 0 || bad.length > 0) throw new UsageError(`unknown mode(s) ${bad.join(', ')}; modes: ${MODE_ORDER.join(', ')}`);
        o.modes = list as Mode[];
        break;
      }
      case '--no-reference':
        o.reference = false;
        break;
      case '--no-floor':
        o.floor = false;
        break;
      case '--floor-workers':
        o.floorWorkers = int(a, next(), 0);
        break;
      case '--strace': {
        const v = next();
        if (v !== 'all' && v !== 'ours' && v !== 'none') throw new UsageError('--strace takes all, ours or none');
        o.strace = v;
        break;
      }
      case '--no-strace':
        o.strace = 'none';
        break;
      case '--strace-timeout':
        o.straceTimeout = int(a, next(), 1);
        break;
      case '--timeout':
        o.timeout = int(a, next(), 1);
        break;
      case '--generate-timeout':
        o.generateTimeout = int(a, next(), 1);
        break;
      case '--max-load': {
        const v = Number(next());
        if (!(v > 0)) throw new UsageError('--max-load needs a positive number');
        o.maxLoad = v;
        break;
      }
      case '--max-wait':
        o.maxWait = int(a, next(), 0);
        break;
      case '--copy': {
        const v = next();
        if (v !== 'hardlink' && v !== 'full') throw new UsageError('--copy takes hardlink or full');
        o.copy = v;
        break;
      }
      case '--trees':
        o.trees = path.resolve(next() ?? '');
        break;
      case '--regenerate':
        o.regenerate = true;
        break;
      case '--ours-arg':
        o.oursArgs.push(next() ?? '');
        break;
      case '-h':
      case '--help':
        throw new UsageError('');
      default:
        throw new UsageError(`unexpected argument ${a}`);
    }
  }
  if (!o.render && !o.scaling && o.preset === undefined) throw new UsageError('give --preset NAME, --scaling or --render');
  if (o.preset !== undefined && !isPresetName(o.preset)) throw new UsageError(`unknown preset ${o.preset}; presets: ${Object.keys(PRESETS).join(', ')}`);
  return o;
}

export class UsageError extends Error {}
