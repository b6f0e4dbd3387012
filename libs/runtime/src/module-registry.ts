import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InvokeError } from './failures.js';
import type { InvokeOptions, InvokeResult, LoadedVersion } from './loaded-version.js';

interface Slot {
  current: LoadedVersion;
  /** the previous current, finishing its in-flight calls before it is disposed */
  old?: LoadedVersion;
}

export interface RegistryStats {
  readonly modules: number;
  /** current plus draining old versions, i.e. live isolates' owners */
  readonly loadedVersions: number;
  readonly draining: number;
  readonly inFlight: number;
}

/**
 * The versions this node serves: per module a `current` that takes new calls and at most one `old` that finishes
 * its in-flight calls and is then disposed (OTP-style code swap). A third activation while an old one still drains
 * disposes that old one at once.
 */
@Injectable()
export class ModuleRegistry implements OnApplicationShutdown {
  private readonly slots = new Map<string, Slot>();

  /** Makes `loaded` the version new calls of `module` go to. */
  activate(module: string, loaded: LoadedVersion): void {
    if (loaded.module !== module) {
      throw new Error(`version ${loaded.versionId} belongs to module ${loaded.module}, not ${module}`);
    }
    if (loaded.isDisposed) throw new Error(`version ${loaded.versionId} of module ${module} is disposed`);
    const slot = this.slots.get(module);
    if (!slot) {
      this.slots.set(module, { current: loaded });
      return;
    }
    if (slot.current === loaded) return;
    const previous = slot.current;
    if (slot.old && slot.old !== loaded) slot.old.dispose();
    slot.old = previous;
    slot.current = loaded;
    void this.disposeWhenDrained(module, previous);
  }

  invoke(module: string, input: unknown, options?: InvokeOptions): Promise<InvokeResult> {
    const slot = this.slots.get(module);
    if (!slot)
      return Promise.reject(new InvokeError('not_loaded', `module ${module} is not loaded on this node`));
    return slot.current.invoke(input, options);
  }

  current(module: string): { readonly versionId: string } | undefined {
    const slot = this.slots.get(module);
    return slot ? { versionId: slot.current.versionId } : undefined;
  }

  /** The previous version while it finishes its in-flight calls after a swap (shown in GET /cluster). */
  old(module: string): { readonly versionId: string } | undefined {
    const old = this.slots.get(module)?.old;
    return old ? { versionId: old.versionId } : undefined;
  }

  /** The loaded version itself, for callers that need its limits or counters. */
  currentVersion(module: string): LoadedVersion | undefined {
    return this.slots.get(module)?.current;
  }

  loadedModules(): string[] {
    return [...this.slots.keys()];
  }

  /** Stops serving `module`; by default its current version finishes its in-flight calls first. */
  async unload(module: string, options: { force?: boolean } = {}): Promise<void> {
    const slot = this.slots.get(module);
    if (!slot) return;
    this.slots.delete(module);
    slot.old?.dispose();
    if (!options.force) await slot.current.drained();
    slot.current.dispose();
  }

  /** Disposes every version at once, failing in-flight calls with `disposed` (shutdown). */
  disposeAll(): void {
    for (const slot of this.slots.values()) {
      slot.old?.dispose();
      slot.current.dispose();
    }
    this.slots.clear();
  }

  stats(): RegistryStats {
    let draining = 0;
    let inFlight = 0;
    for (const slot of this.slots.values()) {
      inFlight += slot.current.inFlight;
      if (slot.old) {
        draining++;
        inFlight += slot.old.inFlight;
      }
    }
    return { modules: this.slots.size, loadedVersions: this.slots.size + draining, draining, inFlight };
  }

  onApplicationShutdown(): void {
    this.disposeAll();
  }

  private async disposeWhenDrained(module: string, version: LoadedVersion): Promise<void> {
    await version.drained();
    const slot = this.slots.get(module);
    // activated again while it drained (a rollback): it serves again
    if (slot?.current === version) return;
    if (slot?.old === version) slot.old = undefined;
    version.dispose();
  }
}
