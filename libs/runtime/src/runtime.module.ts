import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@seed/config';
import { IsolatePool } from './isolate-pool.js';
import { ModuleRegistry } from './module-registry.js';

/** Provides the node's ModuleRegistry and its IsolatePool (size SANDBOX_POOL_SIZE, default memory limit). */
@Module({
  providers: [
    ModuleRegistry,
    {
      provide: IsolatePool,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new IsolatePool({ size: config.sandbox.poolSize, memoryMb: config.sandbox.memoryMb }),
    },
  ],
  exports: [ModuleRegistry, IsolatePool],
})
export class RuntimeModule {}
