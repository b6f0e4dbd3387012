import { Injectable } from '@nestjs/common';
import { RedisService } from '@seed/persistence';
import { CapabilityError } from '@seed/runtime';

const DAY_SECONDS = 86_400;

/**
 * Model tokens a module spent today (UTC), in Redis so every node counts against one budget. A call is refused
 * when what it may spend (its maxTokens) would pass the day's budget; what it did spend is added afterwards.
 */
@Injectable()
export class TokenBudget {
  constructor(private readonly redis: RedisService) {}

  async reserve(module: string, maxTokens: number, perDay: number): Promise<void> {
    let used: number;
    try {
      used = Number((await this.redis.client.get(this.key(module))) ?? 0);
    } catch {
      throw new CapabilityError('capability_unavailable', 'model: the token budget cannot be read (Redis)');
    }
    if (used + maxTokens > perDay) {
      throw new CapabilityError(
        'quota_exceeded',
        `model: the module spent ${used} of its ${perDay} tokens today; this call may spend ${maxTokens}`,
      );
    }
  }

  async spend(module: string, tokens: number): Promise<void> {
    const key = this.key(module);
    await this.redis.client
      .multi()
      .incrby(key, tokens)
      .expire(key, 2 * DAY_SECONDS)
      .exec();
  }

  private key(module: string): string {
    return this.redis.key('model-tokens', module, new Date().toISOString().slice(0, 10));
  }
}
