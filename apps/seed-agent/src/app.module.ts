import { DynamicModule, Module } from '@nestjs/common';
import { ClusterModule } from '@seed/cluster';
import { AppConfig, ConfigModule } from '@seed/config';
import { HealthModule } from '@seed/health';
import { PersistenceModule, RedisModule } from '@seed/persistence';
import { TelemetryModule } from '@seed/telemetry';
import { LoggerModule } from 'nestjs-pino';
import { HttpModule } from './http/http.module.js';
import { loggerParams } from './logging.js';

/** Composition root: imports the libs, holds no logic. Takes a config whose database and Redis are resolved. */
@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config)),
        TelemetryModule,
        PersistenceModule.forRoot(config),
        RedisModule,
        HealthModule,
        ClusterModule,
        HttpModule,
      ],
    };
  }
}
