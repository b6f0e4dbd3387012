import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InvokeError } from './failures.js';
import type { InvokeOptions, InvokeResult, LoadedVersion } from './loaded-version.js';

interface Slot {
  current: LoadedVersion;
  /** the previous current, finishing its in-flight calls before it is disposed */
  old?: LoadedVersion;
}

/** One loaded version of a module as GET /cluster shows it. */
export interface LoadedVersionView {
  readonly versionId: string;
  readonly role: 'stable' | 'canary' | 'old' | 'pinned';
  readonly inFlight: number;
  /** finishing its in-flight calls before it is disposed */
  readonly draining: boolean;
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
  /** a rollout's canary per module: takes the rollout's share of new calls beside `current` */
  private readonly canaries = new Map<string, LoadedVersion>();
  /** versions loaded for `Seed-Version` pins, least recently used first, bounded by the caller's cap */
  private readonly pins = new Map<string, LoadedVersion>();
  /** versions replaced as canary or pin, finishing their in-flight calls */
  private readonly retiring = new Set<LoadedVersion>();
  private readonly drainListeners: Array<() => void> = [];

  /** Called when a replaced version has finished its calls (GET /cluster stops showing it `draining`). */
  onDrained(listener: () => void): void {
    this.drainListeners.push(listener);
  }

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

  /** Makes `loaded` the module's canary (undefined: none); the one it replaces drains, then is disposed. */
  setCanary(module: string, loaded: LoadedVersion | undefined): void {
    const previous = this.canaries.get(module);
    if (previous === loaded) return;
    if (loaded) this.canaries.set(module, loaded);
    else this.canaries.delete(module);
    if (previous) this.retire(previous);
  }

  canaryVersion(module: string): LoadedVersion | undefined {
    return this.canaries.get(module);
  }

  /** A version pinned by `Seed-Version`, if loaded here (and marks it recently used). */
  pinnedVersion(versionId: string): LoadedVersion | undefined {
    const pinned = this.pins.get(versionId);
    if (pinned) {
      this.pins.delete(versionId);
      this.pins.set(versionId, pinned);
    }
    return pinned;
  }

  /** Keeps a pinned version loaded, retiring the least recently used beyond `cap`. */
  addPinned(loaded: LoadedVersion, cap: number): void {
    this.pins.set(loaded.versionId, loaded);
    for (const [id, version] of this.pins) {
      if (this.pins.size <= cap) break;
      this.pins.delete(id);
      this.retire(version);
    }
  }

  /** Every version loaded for `module`, with its role and in-flight calls (GET /cluster). */
  loadedVersions(module: string): LoadedVersionView[] {
    const view = (version: LoadedVersion, role: LoadedVersionView['role'], draining = false) => ({
      versionId: version.versionId,
      role,
      inFlight: version.inFlight,
      draining,
    });
    const slot = this.slots.get(module);
    const canary = this.canaries.get(module);
    return [
      ...(slot ? [view(slot.current, 'stable')] : []),
      ...(canary ? [view(canary, 'canary')] : []),
      ...(slot?.old ? [view(slot.old, 'old', true)] : []),
      ...[...this.pins.values()].filter((v) => v.module === module).map((v) => view(v, 'pinned')),
      ...[...this.retiring].filter((v) => v.module === module).map((v) => view(v, 'old', true)),
    ];
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
    this.setCanary(module, undefined);
    for (const [id, pinned] of this.pins) {
      if (pinned.module !== module) continue;
      this.pins.delete(id);
      this.retire(pinned);
    }
    if (!options.force) await slot.current.drained();
    slot.current.dispose();
  }

  /** Disposes every version at once, failing in-flight calls with `disposed` (shutdown). */
  disposeAll(): void {
    for (const slot of this.slots.values()) {
      slot.old?.dispose();
      slot.current.dispose();
    }
    for (const version of [...this.canaries.values(), ...this.pins.values(), ...this.retiring])
      version.dispose();
    this.slots.clear();
    this.canaries.clear();
    this.pins.clear();
    this.retiring.clear();
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
    const extra = [...this.canaries.values(), ...this.pins.values(), ...this.retiring];
    for (const version of extra) inFlight += version.inFlight;
    return {
      modules: this.slots.size,
      loadedVersions: this.slots.size + draining + extra.length,
      draining: draining + this.retiring.size,
      inFlight,
    };
  }

  onApplicationShutdown(): void {
    this.disposeAll();
  }

  private retire(version: LoadedVersion): void {
    if (this.isServing(version)) return;
    this.retiring.add(version);
    void version.drained().then(() => {
      this.retiring.delete(version);
      if (!this.isServing(version)) version.dispose();
      this.drained();
    });
  }

  /** Still serving in another role (a pin that became the canary, a canary promoted to current). */
  private isServing(version: LoadedVersion): boolean {
    const slot = this.slots.get(version.module);
    return (
      slot?.current === version ||
      this.canaries.get(version.module) === version ||
      this.pins.get(version.versionId) === version
    );
  }

  private async disposeWhenDrained(module: string, version: LoadedVersion): Promise<void> {
    await version.drained();
    const slot = this.slots.get(module);
    if (slot?.old === version) slot.old = undefined;
    this.drained();
    // activated again while it drained (a rollback), or serving as canary or pin: it serves on
    if (this.isServing(version)) return;
    version.dispose();
  }

  private drained(): void {
    for (const listener of this.drainListeners) listener();
  }
}
