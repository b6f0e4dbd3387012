import { Controller, Get, Inject } from '@nestjs/common';
import { PresenceService } from '@seed/cluster';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { AnyRole } from './auth/roles.decorator.js';

@Controller('cluster')
export class ClusterController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly presence: PresenceService,
  ) {}

  @Get()
  @AnyRole()
  async nodes() {
    return { self: this.config.nodeName, nodes: await this.presence.liveNodes() };
  }
}
