import type { SandboxLimits } from '@seed/config';
import type { ModuleSettings } from '@seed/code-store';

/** Pure: the module's own limits over the configured defaults. */
export function effectiveLimits(defaults: SandboxLimits, settings: ModuleSettings): SandboxLimits {
  const own = settings.limits ?? {};
  return {
    memoryMb: own.memoryMb ?? defaults.memoryMb,
    cpuTimeoutMs: own.cpuTimeoutMs ?? defaults.cpuTimeoutMs,
    wallTimeoutMs: own.wallTimeoutMs ?? defaults.wallTimeoutMs,
    concurrency: own.concurrency ?? defaults.concurrency,
    queueLimit: own.queueLimit ?? defaults.queueLimit,
    maxOutputBytes: own.maxOutputBytes ?? defaults.maxOutputBytes,
    maxLogBytes: own.maxLogBytes ?? defaults.maxLogBytes,
    maxLogLines: own.maxLogLines ?? defaults.maxLogLines,
  };
}

/** A stable key: a node reloads a module when its version or its limits change. */
export function limitsKey(limits: SandboxLimits): string {
  return JSON.stringify(Object.entries(limits).sort(([a], [b]) => a.localeCompare(b)));
}
