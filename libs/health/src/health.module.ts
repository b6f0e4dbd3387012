import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { JobsModule } from '@seed/jobs';
import { DependencyChecks } from './dependency-checks.js';
import { HealthService } from './health.service.js';
import { LifecycleService } from './lifecycle.service.js';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json', logger: false }), JobsModule],
  providers: [LifecycleService, DependencyChecks, HealthService],
  exports: [LifecycleService, HealthService],
})
export class HealthModule {}
