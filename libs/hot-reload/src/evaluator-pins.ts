import type { ModuleEntity, ModuleVersionEntity, VersionStatus } from '@seed/code-store';

/** Versions that passed their gates: only one of these may judge cases. */
const JUDGING = new Set<VersionStatus>(['ready', 'canary', 'active', 'retired', 'superseded']);

/**
 * Pure: why a case may not pin this evaluator version, or null when it may. A pin is checked when the case is
 * added, so a case that can never be judged is refused with its reason instead of failing every later candidate.
 */
export function evaluatorPinProblem(
  module: Pick<ModuleEntity, 'name' | 'kind'> | null,
  name: string,
  version?: Pick<ModuleVersionEntity, 'seq' | 'status' | 'dryRun'> | null,
): string | null {
  if (!module) return `evaluator module ${name} does not exist`;
  if (module.kind !== 'evaluator')
    return `module ${name} is not an evaluator (an admin creates evaluators with kind: "evaluator")`;
  if (!version) return `evaluator ${name} has no such version`;
  if (version.dryRun) return `version ${version.seq} of evaluator ${name} is a dry run`;
  if (!JUDGING.has(version.status))
    return `version ${version.seq} of evaluator ${name} is ${version.status}: only a version that passed its gates can judge`;
  return null;
}
