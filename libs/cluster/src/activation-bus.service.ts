import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { RedisService } from '@seed/persistence';

export interface ActivationNotice {
  module: string;
  /** null when the module was deleted or its settings changed: reload what PostgreSQL says. */
  versionId: string | null;
  origin: string;
}

/**
 * Redis pub/sub between nodes. A notice is only a hint: receivers load what PostgreSQL says is active,
 * and reconcile on reconnect and periodically, so a lost message never leaves a node stale for long.
 */
@Injectable()
export class ActivationBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ActivationBus');
  private readonly listeners: Array<(notice: ActivationNotice) => void> = [];
  private readonly reconnectListeners: Array<() => void> = [];
  private readonly channel: string;
  private connectedOnce = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {
    this.channel = redis.key('activations');
  }

  onModuleInit(): void {
    const subscriber = this.redis.subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        const notice = JSON.parse(message) as ActivationNotice;
        for (const listener of this.listeners) listener(notice);
      } catch (error) {
        this.logger.warn(`ignored malformed activation notice: ${(error as Error).message}`);
      }
    });
    // ioredis re-subscribes by itself after a reconnect; what was published meanwhile is lost, hence the hook.
    subscriber.on('ready', () => {
      if (this.connectedOnce) for (const listener of this.reconnectListeners) listener();
      this.connectedOnce = true;
    });
    subscriber
      .subscribe(this.channel)
      .catch((error: Error) => this.logger.warn(`subscribe failed: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }

  onActivation(listener: (notice: ActivationNotice) => void): void {
    this.listeners.push(listener);
  }

  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  async publish(module: string, versionId: string | null): Promise<void> {
    const notice: ActivationNotice = { module, versionId, origin: this.config.nodeName };
    try {
      await this.redis.client.publish(this.channel, JSON.stringify(notice));
    } catch (error) {
      // Not fatal: other nodes converge through periodic reconciliation.
      this.logger.warn(`activation broadcast failed: ${(error as Error).message}`);
    }
  }
}
