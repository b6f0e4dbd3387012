import { SecretsController } from './secrets.controller.js';
import { Logger, Module } from '@nestjs/common';
import { APP_PIPE, DiscoveryModule } from '@nestjs/core';
import { AgentModule } from '@seed/agent';
import { ClusterModule } from '@seed/cluster';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { HotReloadModule } from '@seed/hot-reload';
import { IntegrationsModule } from '@seed/integrations';
import { JobsModule } from '@seed/jobs';
import { AuditController } from './audit/audit.controller.js';
import { ChatController } from './chat.controller.js';
import { generatedAdminToken, warnStaleGeneratedToken } from './auth/generated-admin-token.js';
import { RuntimeTokens } from './auth/runtime-tokens.service.js';
import { TokenRegistry } from './auth/token-registry.js';
import { ClusterController } from './cluster.controller.js';
import { DocsController } from './docs.controller.js';
import { EventsController } from './events.controller.js';
import { EventStreams } from './sse.js';
import { RequestInputPipe } from './request-input.pipe.js';
import { RouteCatalog } from './route-catalog.js';
import { HealthController } from './health.controller.js';
import { ImproveController } from './improve.controller.js';
import { ImprovementsController } from './improvements.controller.js';
import { JobsController } from './jobs.controller.js';
import { MetricsController } from './metrics.controller.js';
import { ModulesController } from './modules.controller.js';
import { QueuesController } from './queues.controller.js';
import { TokensController } from './tokens.controller.js';
import { UiSessionController } from './console/ui-session.controller.js';
import { RolloutsController } from './rollouts.controller.js';
import { StatsController } from './stats.controller.js';
import { VersionsController } from './versions.controller.js';

@Module({
  exports: [RouteCatalog, TokenRegistry],
  imports: [HotReloadModule, ClusterModule, DiscoveryModule, IntegrationsModule, AgentModule, JobsModule],
  controllers: [
    HealthController,
    MetricsController,
    ModulesController,
    VersionsController,
    RolloutsController,
    StatsController,
    ImproveController,
    ImprovementsController,
    JobsController,
    QueuesController,
    ClusterController,
    DocsController,
    AuditController,
    EventsController,
    ChatController,
    TokensController,
    UiSessionController,
    SecretsController,
  ],
  providers: [
    {
      provide: TokenRegistry,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const logger = new Logger('Auth');
        const warn = (m: string) => logger.warn(m);
        if (config.apiTokens.length) {
          warnStaleGeneratedToken(config.dataDir, warn);
          return new TokenRegistry(config.apiTokens);
        }
        const terminal = (m: string) => process.stderr.write(`${m}\n`);
        return new TokenRegistry([generatedAdminToken(config.dataDir, { terminal, warn })]);
      },
    },
    RuntimeTokens,
    EventStreams,
    { provide: APP_PIPE, useClass: RequestInputPipe },
    RouteCatalog,
  ],
})
export class HttpModule {}
