/**
 * What a run found that is not a deletion: warnings (reported, the run goes
 * on) and problems (marking cannot be sure: the run fails before deleting).
 * Paths are stored relative to the registry root.
 */
import type { Problem } from './errors.js';
import type { ProblemCode } from './report.js';
import type { RegistryLayout } from '../registry/layout.js';

export class Findings {
  readonly warnings: Problem[] = [];
  readonly problems: Problem[] = [];

  constructor(private readonly layout: RegistryLayout) {}

  warn(code: ProblemCode, absolutePath: string, message: string): void {
    this.warnings.push({ code, path: this.layout.relative(absolutePath), message });
  }

  fail(code: ProblemCode, absolutePath: string, message: string): void {
    this.problems.push({ code, path: this.layout.relative(absolutePath), message });
  }
}
