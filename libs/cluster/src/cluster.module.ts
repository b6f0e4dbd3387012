import { Module } from '@nestjs/common';
import { ActivationBus } from './activation-bus.service.js';
import { PresenceService } from './presence.service.js';

@Module({ providers: [PresenceService, ActivationBus], exports: [PresenceService, ActivationBus] })
export class ClusterModule {}
