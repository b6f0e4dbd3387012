import { SetMetadata } from '@nestjs/common';
import type { Role } from '@seed/config';

export const ROLES_KEY = 'seed:roles';
export const PUBLIC_KEY = 'seed:public';
export const MODULE_SCOPED_KEY = 'seed:module-scoped';
export const DATA_PLANE_KEY = 'seed:data-plane';

/** Roles allowed on a route. A route without this decorator (and not @Public) is admin-only. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
export const AnyRole = () => SetMetadata(ROLES_KEY, ['admin', 'agent', 'viewer'] satisfies Role[]);
/** No token needed (health probes; /metrics checks METRICS_TOKEN itself). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
/** The route runs the module `:name`: a token limited to some modules may use it on those only. */
export const ModuleScoped = () => SetMetadata(MODULE_SCOPED_KEY, true);
/**
 * An invocation route: spends the invocation rate limit (off by default) instead of the control plane's,
 * since invocations are bounded by each module's concurrency limit and queue.
 */
export const DataPlane = () => SetMetadata(DATA_PLANE_KEY, true);
