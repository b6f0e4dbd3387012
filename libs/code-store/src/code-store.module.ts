import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { ApiTokensRepository } from './api-tokens.repository.js';
import { ArtifactCache } from './artifact-cache.js';
import { AuditRepository } from './audit.repository.js';
import { CodeStoreRepository } from './code-store.repository.js';

@Global()
@Module({
  providers: [
    CodeStoreRepository,
    AuditRepository,
    ApiTokensRepository,
    {
      provide: ArtifactCache,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new ArtifactCache(config.codeDir),
    },
  ],
  exports: [CodeStoreRepository, AuditRepository, ApiTokensRepository, ArtifactCache],
})
export class CodeStoreModule {}
