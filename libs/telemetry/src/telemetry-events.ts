import { channel } from 'node:diagnostics_channel';

/** Telemetry event names, kept from the seed: seed_agent.hot_reload.{start,success,error,duration}. */
export const EVENTS = {
  hotReloadStart: 'seed_agent.hot_reload.start',
  hotReloadSuccess: 'seed_agent.hot_reload.success',
  hotReloadError: 'seed_agent.hot_reload.error',
  hotReloadDuration: 'seed_agent.hot_reload.duration',
  invocation: 'seed_agent.runtime.invocation',
  activation: 'seed_agent.hot_reload.activation',
  rollback: 'seed_agent.hot_reload.rollback',
} as const;

export type PipelineStage = 'compile' | 'validate' | 'test' | 'store' | 'activate' | 'pipeline';

export interface HotReloadEvent {
  module: string;
  versionId: string;
  stage: PipelineStage;
}
export interface HotReloadErrorEvent extends HotReloadEvent {
  code: string;
  message: string;
  final: boolean;
}
export interface HotReloadDurationEvent extends HotReloadEvent {
  seconds: number;
  result: 'ok' | 'rejected' | 'error';
}
export interface InvocationEvent {
  module: string;
  result: string;
  seconds: number;
}
export interface ActivationEvent {
  module: string;
  fromVersionId: string | null;
  toVersionId: string;
  seq: number;
  reason: string;
}

interface EventPayloads {
  [EVENTS.hotReloadStart]: HotReloadEvent;
  [EVENTS.hotReloadSuccess]: HotReloadEvent;
  [EVENTS.hotReloadError]: HotReloadErrorEvent;
  [EVENTS.hotReloadDuration]: HotReloadDurationEvent;
  [EVENTS.invocation]: InvocationEvent;
  [EVENTS.activation]: ActivationEvent;
  [EVENTS.rollback]: ActivationEvent;
}
export type EventName = keyof EventPayloads;

export function emit<E extends EventName>(name: E, payload: EventPayloads[E]): void {
  const ch = channel(name);
  if (ch.hasSubscribers) ch.publish(payload);
}

/** Subscribes and returns the unsubscribe function. */
export function on<E extends EventName>(name: E, listener: (payload: EventPayloads[E]) => void): () => void {
  const ch = channel(name);
  const handler = (message: unknown) => listener(message as EventPayloads[E]);
  ch.subscribe(handler);
  return () => ch.unsubscribe(handler);
}
