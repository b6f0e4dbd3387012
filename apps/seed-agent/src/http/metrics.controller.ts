import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { MetricsService } from '@seed/telemetry';
import type { FastifyReply } from 'fastify';
import { ApiError } from './api-error.js';
import { Public } from './auth/roles.decorator.js';
import { bearerSecret } from './auth/token-registry.js';
import { tokensEqual } from './tokens-equal.js';

@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  @Get()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const expected = this.config.metricsToken;
    if (expected && !tokensEqual(bearerSecret(authorization), expected)) {
      throw new ApiError('unauthorized', 'a valid metrics bearer token is required');
    }
    const text = await this.metrics.registry.metrics();
    await reply.header('content-type', this.metrics.registry.contentType).send(text);
  }
}
