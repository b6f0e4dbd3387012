/**
 * Declarations for module authors, served at GET /modules/sdk.d.ts. Ambient (no exports) on purpose: a module may
 * not import anything, so an author adds `/// <reference path="./sdk.d.ts" />` or puts the file beside the module.
 */
export const MODULE_SDK_DTS = `/**
 * Seed Agent module SDK.
 *
 * A module is one TypeScript file with no imports whose default export is a ModuleFunction:
 *
 *   export default function (input: { name: string }, ctx: ModuleContext) {
 *     ctx.log('greeting', input.name);
 *     return { greeting: \`Hello, \${input.name}\` };
 *   }
 *
 * It runs in its own V8 isolate with only the JavaScript built-ins: no Node APIs (process, require, Buffer),
 * no import() or require(), no timers (setTimeout, setInterval), no network, no file system, no WebAssembly,
 * no SharedArrayBuffer or resizable ArrayBuffers. console exists but its output is discarded: use ctx.log.
 * Each call has a CPU timeout, a wall-clock timeout and a memory limit; the output's JSON has a size limit.
 * Globals may survive between calls of the same version, but any call may get a fresh isolate: never rely on them.
 */

/** A value JSON can represent. Inputs are parsed from JSON; outputs go through JSON.stringify. */
type JsonPrimitive = string | number | boolean | null;
type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

/** The second argument of every call; frozen. */
interface ModuleContext {
  /**
   * Appends one log line: strings as they are, other values as JSON, joined by spaces. The lines of one call are
   * returned with its result, up to the node's log line and size limits, each line counting one byte more than
   * its text (a final line marks the truncation and counts the lines dropped).
   */
  log(...args: unknown[]): void;
  /** Name of the module being invoked. */
  readonly module: string;
  /** Id of the version being invoked. */
  readonly version: string;
  /**
   * Throw \`new ctx.InputError('why')\` to refuse a bad input: the call fails with invalid_input (HTTP 422), counted
   * as the caller's fault, never the version's (no canary rollback, no self-healing).
   */
  readonly InputError: new (message?: string) => Error;
}

/**
 * The default export of a module. Returning undefined, a function, a BigInt or a cyclic value fails the call with
 * output_not_json; throwing fails it with runtime_error (message and source line are reported).
 */
type ModuleFunction<Input = JsonValue, Output = JsonValue> = (
  input: Input,
  ctx: ModuleContext,
) => Output | Promise<Output>;
`;
