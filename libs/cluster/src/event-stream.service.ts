import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { RedisService } from '@seed/persistence';

export type PlatformEventType =
  | 'version.submitted'
  | 'version.stage'
  | 'version.rejected'
  | 'version.ready'
  | 'version.superseded'
  | 'module.activated'
  | 'module.rolled_back'
  | 'agent.attempt'
  | 'agent.done';

export interface PlatformEvent {
  type: PlatformEventType;
  module: string;
  versionId?: string;
  /** The node it happened on. */
  node: string;
  at: string;
  [key: string]: unknown;
}

/**
 * Cluster-wide event stream for live views (GET /events): published to Redis pub/sub, so a client
 * connected to any node sees what every node does. Best effort: events are not stored or replayed.
 */
@Injectable()
export class EventStream implements OnModuleInit {
  private readonly logger = new Logger('Events');
  private readonly listeners = new Set<(event: PlatformEvent) => void>();
  private readonly channel: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {
    this.channel = redis.key('events');
  }

  onModuleInit(): void {
    this.redis.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let event: PlatformEvent;
      try {
        event = JSON.parse(message) as PlatformEvent;
      } catch {
        return;
      }
      for (const listener of this.listeners) listener(event);
    });
    this.redis.subscriber
      .subscribe(this.channel)
      .catch((e: Error) => this.logger.warn(`subscribe failed: ${e.message}`));
  }

  publish(event: Omit<PlatformEvent, 'at' | 'node'>): void {
    const full = { ...event, node: this.config.nodeName, at: new Date().toISOString() };
    this.redis.client.publish(this.channel, JSON.stringify(full)).catch(() => undefined);
  }

  subscribe(listener: (event: PlatformEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
