import { Injectable } from '@nestjs/common';
import { CapabilityBroker, type ModuleInvoker } from '@seed/capabilities';
import { CodeStoreRepository } from '@seed/code-store';
import { InvokeError, type JsonValue, type LoadedVersion, ModuleRegistry } from '@seed/runtime';
import { EVENTS, emit } from '@seed/telemetry';
import { CanaryWatch } from './canary-watch.service.js';
import { HotReloadError } from './hot-reload.errors.js';
import { Reconciler } from './reconciler.service.js';
import { ReplaySamples } from './replay-samples.service.js';

export interface Invocation {
  output: unknown;
  versionId: string;
  logs?: readonly string[];
}

/** One call the canary counts: a success, or a failure by the module's own fault (`error`). */
export interface InvocationOutcome {
  module: string;
  versionId: string;
  input: unknown;
  error?: InvokeError;
}

/** Runs the active version of a module in its sandbox on this node. */
@Injectable()
export class InvocationService implements ModuleInvoker {
  private readonly observers: Array<(outcome: InvocationOutcome) => void> = [];

  constructor(
    private readonly registry: ModuleRegistry,
    private readonly reconciler: Reconciler,
    private readonly store: CodeStoreRepository,
    private readonly replay: ReplaySamples,
    private readonly canary: CanaryWatch,
    private readonly capabilities: CapabilityBroker,
  ) {
    capabilities.useInvoker(this);
  }

  /** `caller` is who asked (the token's name): the canary and the replay sample count per caller. */
  async invoke(
    module: string,
    input: unknown,
    caller: string,
    debug = false,
    chain: readonly string[] = [module],
  ): Promise<Invocation> {
    const version = await this.activeVersion(module);
    const started = performance.now();
    try {
      const capabilities = this.capabilities.open(module, chain);
      const result = await version.invoke(input, { captureLogs: debug, capabilities });
      emit(EVENTS.invocation, { module, result: 'ok', seconds: (performance.now() - started) / 1000 });
      this.canary.record(module, version.versionId, false, caller);
      this.replay.record(module, input, caller, capabilities?.transcript);
      if (this.observers.length) this.notify({ module, versionId: version.versionId, input });
      return { output: result.output, versionId: version.versionId, ...(debug ? { logs: result.logs } : {}) };
    } catch (error) {
      const code = error instanceof InvokeError ? error.code : 'error';
      if (error instanceof InvokeError && error.moduleFault) {
        this.canary.record(module, version.versionId, true, caller);
        if (this.observers.length) this.notify({ module, versionId: version.versionId, input, error });
      }
      emit(EVENTS.invocation, { module, result: code, seconds: (performance.now() - started) / 1000 });
      throw error;
    }
  }

  /** ctx.call: the callee's active version in its own isolate, with its own limits and grants. */
  async invokeFromModule(module: string, input: JsonValue, chain: readonly string[]): Promise<JsonValue> {
    const caller = chain.length > 1 ? `module:${chain[chain.length - 2]}` : 'module';
    return (await this.invoke(module, input, caller, false, chain)).output as JsonValue;
  }

  /** Observers (the agent's recent errors, self-healing) see the calls the canary counts; they must be cheap. */
  observe(observer: (outcome: InvocationOutcome) => void): void {
    this.observers.push(observer);
  }

  private notify(outcome: InvocationOutcome): void {
    for (const observer of this.observers) {
      try {
        observer(outcome);
      } catch {
        // an observer's failure never fails the call
      }
    }
  }

  /** The version this node serves; a node that missed a broadcast (or just booted) loads it on the first call. */
  async activeVersion(module: string): Promise<LoadedVersion> {
    if (!this.registry.current(module)) {
      const entity = await this.store.getModule(module);
      if (entity.activeVersionId) await this.reconciler.syncModule(module);
    }
    const version = this.registry.currentVersion(module);
    if (!version) throw new HotReloadError('no_active_version', `module ${module} has no active version`);
    return version;
  }
}
