import { Injectable } from '@nestjs/common';

export type Phase = 'starting' | 'ready' | 'shutting_down';

/** Where the node is in its life; readiness answers 503 unless `ready`. */
@Injectable()
export class LifecycleService {
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
}
