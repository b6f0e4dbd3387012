import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { Redis, type RedisOptions } from 'ioredis';
import { redisOptionsFromUrl } from './redis-options.js';

/**
 * The app's Redis seam: one command connection and one subscriber connection (pub/sub needs its own).
 * Keys are namespaced with REDIS_PREFIX so several deployments or test runs share a server safely.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis;
  readonly subscriber: Redis;
  private lastError = '';

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (!config.redisUrl) throw new Error('redisUrl must be resolved before the app module starts');
    this.client = this.connect('cmd');
    this.subscriber = this.connect('sub');
  }

  /** A new connection to the app's Redis, logged like the others; the caller owns (and quits) it. */
  connect(name: string, overrides: RedisOptions = {}): Redis {
    return this.watch(
      new Redis({
        ...redisOptionsFromUrl(this.config.redisUrl!),
        maxRetriesPerRequest: 2,
        enableOfflineQueue: true,
        ...overrides,
        connectionName: `${this.config.nodeName}:${name}`,
      }),
    );
  }

  key(...parts: string[]): string {
    return [this.config.redisPrefix, ...parts].join(':');
  }

  async ping(): Promise<string> {
    return this.client.ping();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.client.quit(), this.subscriber.quit()]);
  }

  private watch(connection: Redis): Redis {
    // Without a listener a down Redis floods the log with "Unhandled error event"; log each distinct error once.
    connection.on('error', (error: Error) => {
      if (error.message !== this.lastError) this.logger.warn(`redis error: ${error.message}`);
      this.lastError = error.message;
    });
    connection.on('ready', () => (this.lastError = ''));
    return connection;
  }
}
