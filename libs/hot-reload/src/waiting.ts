import type { ModuleSettings, VersionSummaryRow } from '@seed/code-store';

/** Pure: why a `ready` version waits instead of serving, for `GET …/versions?status=ready`. */
export function whyWaiting(
  version: Pick<VersionSummaryRow, 'dryRun' | 'activateRequested' | 'authorRole'>,
  settings: ModuleSettings,
): string {
  if (version.dryRun) return 'a dry run: never activatable';
  if (version.authorRole === 'agent' && settings.requireApproval)
    return "an agent's candidate: the module requires an admin's approval (POST …/activate or …/reject)";
  if (!version.activateRequested)
    return version.authorRole === 'agent'
      ? "an improvement run's candidate that was not activated: not its round's best, or the active version changed"
      : 'submitted without activate: waits for POST …/activate';
  if (settings.autoActivate === false) return 'the module has autoActivate off: waits for POST …/activate';
  return 'passed every gate; activation was not possible (the active version changed)';
}
