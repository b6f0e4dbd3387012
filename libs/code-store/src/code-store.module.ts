import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { ArtifactCache } from './artifact-cache.js';
import { AuditRepository } from './audit.repository.js';
import { CodeStoreRepository } from './code-store.repository.js';

@Global()
@Module({
  providers: [
    CodeStoreRepository,
    AuditRepository,
    {
      provide: ArtifactCache,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new ArtifactCache(config.codeDir),
    },
  ],
  exports: [CodeStoreRepository, AuditRepository, ArtifactCache],
})
export class CodeStoreModule {}
