import { Controller, Get } from '@nestjs/common';
import { ClusterStatus, ClusterView } from '@seed/cluster';
import { AnyRole } from './auth/roles.decorator.js';

@Controller('cluster')
export class ClusterController {
  constructor(private readonly status: ClusterStatus) {}

  /** Live nodes with the versions they serve (`behind` against PostgreSQL), and the DNS comparison. */
  @Get()
  @AnyRole()
  nodes(): Promise<ClusterView> {
    return this.status.view();
  }
}
