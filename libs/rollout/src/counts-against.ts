/**
 * Pure: whether a failed call counts against the version that served it. Only the module's own faults do
 * (`InvokeError.moduleFault`): an `InputError` (`invalid_input`) is the caller's, a timeout of the platform or
 * a capability outage is ours. Pinned calls (`Seed-Version`) never count: they chose their version.
 */
export function countsAgainstVersion(
  failure: { moduleFault: boolean; code: string } | undefined,
  pinned: boolean,
): boolean {
  if (pinned || failure === undefined) return false;
  return failure.moduleFault && failure.code !== 'invalid_input';
}
