import { Logger, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ClusterModule } from '@seed/cluster';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { HotReloadModule } from '@seed/hot-reload';
import { AuthGuard } from './auth/auth.guard.js';
import { generatedAdminToken } from './auth/generated-admin-token.js';
import { TokenRegistry } from './auth/token-registry.js';
import { ClusterController } from './cluster.controller.js';
import { HealthController } from './health.controller.js';
import { JobsController } from './jobs.controller.js';
import { MetricsController } from './metrics.controller.js';
import { ModulesController } from './modules.controller.js';
import { VersionsController } from './versions.controller.js';

@Module({
  imports: [HotReloadModule, ClusterModule],
  controllers: [
    HealthController,
    MetricsController,
    ModulesController,
    VersionsController,
    JobsController,
    ClusterController,
  ],
  providers: [
    {
      provide: TokenRegistry,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const logger = new Logger('Auth');
        const tokens = config.apiTokens.length
          ? config.apiTokens
          : [generatedAdminToken(config.dataDir, (m) => logger.warn(m))];
        return new TokenRegistry(tokens);
      },
    },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
})
export class HttpModule {}
