import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { RedisService } from '@seed/persistence';

/** A broadcast is a hint: with Redis unreachable the activation answers anyway after this long. */
const PUBLISH_TIMEOUT_MS = 1000;

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
  private connectionLost = false;

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

  onActivation(listener: (notice: ActivationNotice) => void): void {
    this.listeners.push(listener);
  }

  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  async publish(module: string, versionId: string | null): Promise<void> {
    const notice: ActivationNotice = { module, versionId, origin: this.config.nodeName };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.client.publish(this.channel, JSON.stringify(notice)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('Redis did not answer')), PUBLISH_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      // Not fatal: other nodes converge on Redis reconnect and through periodic reconciliation.
      this.logger.warn(`activation broadcast of ${module} failed: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
