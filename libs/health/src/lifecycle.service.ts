import { Injectable, OnModuleDestroy } from '@nestjs/common';

export type Phase = 'starting' | 'ready' | 'shutting_down';

/** Where the node is in its life; readiness answers 503 unless `ready`. */
@Injectable()
export class LifecycleService implements OnModuleDestroy {
  private current: Phase = 'starting';

  get phase(): Phase {
    return this.current;
  }

  markReady(): void {
    if (this.current === 'starting') this.current = 'ready';
  }

  markShuttingDown(): void {
    this.current = 'shutting_down';
  }

  /** The first hook of every close, however it was triggered; the HTTP server is closed last. */
  onModuleDestroy(): void {
    this.markShuttingDown();
  }
}
