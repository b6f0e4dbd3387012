import { createParamDecorator, ExecutionContext } from '@nestjs/common';

export type Role = 'admin' | 'agent' | 'viewer';

export interface Actor {
  name: string;
  role: Role;
  /** A token limited to invoking these modules; absent: any. */
  modules?: readonly string[];
}

/** The authenticated caller, set on the request by the authentication hook (authenticate.hook.ts). */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<{ actor?: Actor }>();
  if (!request.actor) throw new Error('no actor on the request: is the authentication hook added?');
  return request.actor;
});

/** How an actor is written into authorship and audit rows: `role:name`. */
export function actorLabel(actor: Actor): string {
  return `${actor.role}:${actor.name}`;
}
