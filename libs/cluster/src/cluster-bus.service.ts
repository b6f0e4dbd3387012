import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { withTimeout } from '@seed/errors';
import { RedisService } from '@seed/persistence';
import {
  type BusEvent,
  type BusEventType,
  type BusMessage,
  type BusMessageOf,
  parseBusMessage,
} from './bus-events.js';

/** A broadcast is a hint: with Redis unreachable the publisher goes on after this long. */
const PUBLISH_TIMEOUT_MS = 1000;

type Listener = (message: BusMessage) => void;

/**
 * The one publish/subscribe channel between nodes (Redis pub/sub): pipeline progress, activations,
 * settings and deletions, agent attempts. Best effort: messages are not stored or replayed, so receivers
 * treat module changes as hints and load what PostgreSQL says (also on reconnect and periodically).
 */
@Injectable()
export class ClusterBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ClusterBus');
  private readonly listeners = new Set<Listener>();
  private readonly reconnectListeners = new Set<() => void>();
  private readonly channel: string;
  private connectionLost = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {
    this.channel = redis.key('bus');
  }

  onModuleInit(): void {
    const subscriber = this.redis.subscriber;
    subscriber.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      const message = parseBusMessage(raw);
      if (!message) return this.logger.warn('ignored a malformed bus message');
      for (const listener of this.listeners) listener(message);
    });
    // ioredis re-subscribes by itself after a reconnect; what was published meanwhile is lost, hence the hook.
    // Keyed on a lost connection, not on "a second ready": the first ready may come before this listener.
    subscriber.on('close', () => (this.connectionLost = true));
    subscriber.on('ready', () => {
      if (!this.connectionLost) return;
      this.connectionLost = false;
      for (const listener of this.reconnectListeners) listener();
    });
    subscriber
      .subscribe(this.channel)
      .catch((error: Error) => this.logger.warn(`subscribe failed: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }

  /** Never throws and never waits more than a second: callers may await it or not. */
  async publish(event: BusEvent): Promise<void> {
    const message: BusMessage = { ...event, node: this.config.nodeName, at: new Date().toISOString() };
    try {
      await withTimeout(
        'Redis (publish)',
        PUBLISH_TIMEOUT_MS,
        this.redis.client.publish(this.channel, JSON.stringify(message)),
      );
    } catch (error) {
      const subject = 'module' in event ? event.module : event.token;
      this.logger.warn(`${event.type} of ${subject} not broadcast: ${(error as Error).message}`);
    }
  }

  /** Every message, from every node (this one included). Returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Messages of the given types only, typed by them. */
  on<T extends BusEventType>(types: readonly T[], listener: (message: BusMessageOf<T>) => void): () => void {
    const wanted = new Set<string>(types);
    return this.subscribe((message) => {
      if (wanted.has(message.type)) listener(message as BusMessageOf<T>);
    });
  }

  /** Called after the subscriber reconnected: messages may have been missed. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }
}
