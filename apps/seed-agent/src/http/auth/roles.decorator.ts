import { SetMetadata } from '@nestjs/common';
import type { Role } from '@seed/config';

export const ROLES_KEY = 'seed:roles';
export const PUBLIC_KEY = 'seed:public';

/** Roles allowed on a route. A route without this decorator (and not @Public) is admin-only. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
export const AnyRole = () => SetMetadata(ROLES_KEY, ['admin', 'agent', 'viewer'] satisfies Role[]);
/** No token needed (health probes; /metrics checks METRICS_TOKEN itself). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
