/**
 * The host's side of one capability request from the harness: checks what the module sent (untrusted: it may have
 * broken the harness) before anything is parsed, asks the session, and bounds the answer.
 */

import {
  CapabilityError,
  MAX_CAPABILITY_ARGS,
  MAX_CAPABILITY_RESULT,
  type CapabilityName,
  type CapabilitySession,
} from './capability-session.js';
import { clipMessage } from './harness-report.js';

const OPS: Record<CapabilityName, readonly string[]> = {
  kv: ['get', 'set', 'delete', 'list'],
  call: ['call'],
  fetch: ['fetch'],
  model: ['generate'],
  secret: [],
};

/** One invocation's capabilities while it runs. */
export interface OpenSession {
  readonly session: CapabilitySession;
  readonly maxCalls: number;
  calls: number;
  /** requests sent to the host and not answered yet */
  outstanding: number;
}

/** What goes back to the harness's `settle`: the result's JSON, or a failure's code and message. */
export type CapabilityAnswer = { ok: true; json?: string } | { ok: false; code: string; message: string };

/** Never rejects: any failure becomes the answer the module sees. */
export async function answerRequest(
  open: OpenSession,
  capability: unknown,
  op: unknown,
  json: unknown,
): Promise<CapabilityAnswer> {
  try {
    if (typeof capability !== 'string' || !Object.hasOwn(OPS, capability)) {
      throw new CapabilityError('invalid_capability_args', 'no such capability');
    }
    const name = capability as CapabilityName;
    if (!open.session.granted.includes(name)) {
      throw new CapabilityError('capability_denied', `the module has no ${name} grant`);
    }
    if (typeof op !== 'string' || !OPS[name].includes(op)) {
      throw new CapabilityError(
        'invalid_capability_args',
        `${name} has no operation ${String(op).slice(0, 50)}`,
      );
    }
    if (typeof json !== 'string' || json.length > MAX_CAPABILITY_ARGS) {
      throw new CapabilityError(
        'capability_limit',
        `the arguments are over ${MAX_CAPABILITY_ARGS} characters`,
      );
    }
    if (++open.calls > open.maxCalls) {
      throw new CapabilityError(
        'capability_limit',
        `the call made more than ${open.maxCalls} capability calls (SANDBOX_MAX_CAPABILITY_CALLS)`,
      );
    }
    const parsed: unknown = JSON.parse(json);
    if (!Array.isArray(parsed))
      throw new CapabilityError('invalid_capability_args', 'the arguments are no list');
    const result = await open.session.request(name, op, parsed);
    if (result === undefined) return { ok: true };
    const out = JSON.stringify(result);
    if (out.length > MAX_CAPABILITY_RESULT) {
      throw new CapabilityError(
        'capability_limit',
        `the result is over ${MAX_CAPABILITY_RESULT} characters of JSON`,
      );
    }
    return { ok: true, json: out };
  } catch (error) {
    if (error instanceof CapabilityError)
      return { ok: false, code: error.code, message: clipMessage(error.message) };
    return { ok: false, code: 'capability_unavailable', message: 'the capability failed' };
  }
}
