import { Module } from '@nestjs/common';
import { ActivationBus } from './activation-bus.service.js';
import { EventStream } from './event-stream.service.js';
import { PresenceService } from './presence.service.js';

@Module({
  providers: [PresenceService, ActivationBus, EventStream],
  exports: [PresenceService, ActivationBus, EventStream],
})
export class ClusterModule {}
