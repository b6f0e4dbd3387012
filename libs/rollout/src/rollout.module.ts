import { Module } from '@nestjs/common';
import { RolloutRepository } from './rollout.repository.js';

@Module({
  providers: [RolloutRepository],
  exports: [RolloutRepository],
})
export class RolloutModule {}
