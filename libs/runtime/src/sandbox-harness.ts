import { MODULE_GLOBAL } from './compile.js';

/** What one call reports back from inside the isolate; only primitives and arrays of strings, copied out. */
export type HarnessReport = { readonly logs: string[]; readonly truncated: boolean } & (
  | { readonly kind: 'ok'; readonly json: string }
  | { readonly kind: 'error'; readonly name?: string; readonly message: string; readonly stack?: string }
  | { readonly kind: 'input_error'; readonly message: string }
  | { readonly kind: 'not_json'; readonly message: string }
  | { readonly kind: 'too_large'; readonly length: number }
);

const text = (value: unknown): value is string => typeof value === 'string';
const optionalText = (value: unknown): value is string | undefined => value === undefined || text(value);

/**
 * Checks what came out of the isolate: module code ran in there and may have tampered with built-ins the harness
 * relies on, so the host trusts the shape only after looking. Undefined when it is not a report.
 */
export function readReport(raw: unknown): HarnessReport | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (!Array.isArray(r.logs) || !r.logs.every(text) || typeof r.truncated !== 'boolean') return undefined;
  const base = { logs: r.logs as string[], truncated: r.truncated };
  switch (r.kind) {
    case 'ok':
      return text(r.json) ? { ...base, kind: 'ok', json: r.json } : undefined;
    case 'error':
      return text(r.message) && optionalText(r.name) && optionalText(r.stack)
        ? { ...base, kind: 'error', name: r.name, message: r.message, stack: r.stack }
        : undefined;
    case 'input_error':
      return text(r.message) ? { ...base, kind: 'input_error', message: r.message } : undefined;
    case 'not_json':
      return text(r.message) ? { ...base, kind: 'not_json', message: r.message } : undefined;
    case 'too_large':
      return typeof r.length === 'number' ? { ...base, kind: 'too_large', length: r.length } : undefined;
    default:
      return undefined;
  }
}

/**
 * Script evaluated in every fresh context before the module's code. Its value is `bind`, which the host calls once
 * after the module's script ran: it takes the default export and returns the per-call `invoke` function. The host
 * holds both as References; nothing of them is reachable from the module's globals.
 *
 * Kept as plain JavaScript text (not a host function's toString) so coverage instrumentation cannot leak into it.
 */
export const HARNESS_SOURCE = String.raw`'use strict';
(() => {
  const g = globalThis;
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const freeze = Object.freeze;
  const create = Object.create;
  const keys = Object.keys;
  const defineProperty = Object.defineProperty;
  const setPrototypeOf = Object.setPrototypeOf;
  const construct = Reflect.construct;
  const toText = String;
  const toNumber = Number;
  const NativeError = Error;
  const NativeArrayBuffer = ArrayBuffer;

  // These allocate memory that isolated-vm's memory limit does not count (a resizable ArrayBuffer grew the
  // host's RSS past 1 GB under a 16 MB limit), so the module gets none of them.
  delete g.WebAssembly;
  delete g.SharedArrayBuffer;
  const SafeArrayBuffer = new Proxy(NativeArrayBuffer, {
    construct(target, args, newTarget) {
      const options = args[1];
      if (((typeof options === 'object' && options !== null) || typeof options === 'function') &&
          options.maxByteLength !== undefined) {
        throw new TypeError('resizable ArrayBuffers are not available in the sandbox');
      }
      // coerce here so no module code runs while the native constructor is on the stack
      const buffer = construct(target, [args.length > 0 ? toNumber(args[0]) : 0]);
      if (newTarget !== SafeArrayBuffer) {
        const proto = newTarget.prototype;
        if (typeof proto === 'object' && proto !== null) setPrototypeOf(buffer, proto);
      }
      return buffer;
    },
  });
  defineProperty(NativeArrayBuffer.prototype, 'constructor', { value: SafeArrayBuffer, writable: true, configurable: true });
  defineProperty(g, 'ArrayBuffer', { value: SafeArrayBuffer, writable: true, configurable: true });

  const typeName = (value) => (value === null ? 'null' : typeof value);

  const show = (value) => {
    if (typeof value === 'string') return value;
    try {
      if (value instanceof NativeError) return toText(value.stack ?? value);
      const json = stringify(value);
      if (json !== undefined) return json;
    } catch {}
    try {
      return toText(value);
    } catch {
      return '[' + typeName(value) + ']';
    }
  };

  // Longest prefix of text within maxBytes of UTF-8 (lone surrogates count 3, as Buffer.byteLength does).
  const fitUtf8 = (text, maxBytes) => {
    let bytes = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let size = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      let units = 1;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          size = 4;
          units = 2;
        }
      }
      if (bytes + size > maxBytes) return { text: text.slice(0, i), bytes, cut: true };
      bytes += size;
      i += units - 1;
    }
    return { text, bytes, cut: false };
  };

  // a module can set any message or stack: cap what is copied out to the host
  const clip = (text, max) => (text.length > max ? text.slice(0, max) + '…' : text);

  const describe = (error) => {
    if ((typeof error !== 'object' || error === null) && typeof error !== 'function') {
      return { name: undefined, message: clip(show(error), 4000), stack: undefined };
    }
    let name = 'Error';
    let message = '';
    let stack;
    try { name = clip(toText(error.name ?? 'Error'), 200); } catch {}
    try { message = clip(toText(error.message ?? ''), 4000); } catch {}
    try { if (error.stack !== undefined) stack = clip(toText(error.stack), 16000); } catch {}
    return { name, message, stack };
  };

  // Only errors this constructor built are the caller's fault: the host trusts the harness's WeakSet, never a
  // name or a message the module chose (WeakSet's methods are captured before any module code runs).
  const inputErrors = new WeakSet();
  const markInput = WeakSet.prototype.add;
  const isInput = WeakSet.prototype.has;
  const apply = Reflect.apply;
  class InputError extends NativeError {
    constructor(message) {
      super(message);
      apply(markInput, inputErrors, [this]);
    }
  }
  defineProperty(InputError.prototype, 'name', { value: 'InputError' });
  freeze(InputError.prototype);
  freeze(InputError);

  const noop = () => {};
  let bound = false;

  return function bind(moduleName, versionId, maxOutputBytes, maxLogBytes) {
    if (bound) throw new TypeError('the sandbox is already bound to a module');
    bound = true;
    const exported = g.${MODULE_GLOBAL};
    try { g.${MODULE_GLOBAL} = undefined; } catch {}
    const fn = exported === null || exported === undefined ? undefined : exported.default;
    if (typeof fn !== 'function') return 'the default export is ' + typeName(fn) + ', not a function';

    return async function invoke(inputJson, captureLogs) {
      const logs = [];
      let used = 0;
      let truncated = false;
      let open = true;
      const log = (...args) => {
        if (!open || truncated) return;
        let line = '';
        for (let i = 0; i < args.length; i++) line += (i === 0 ? '' : ' ') + show(args[i]);
        const fitted = fitUtf8(line, maxLogBytes - used);
        if (fitted.cut) truncated = true;
        if (fitted.text !== '' || !fitted.cut) logs[logs.length] = fitted.text;
        used += fitted.bytes;
      };
      const ctx = freeze({ log: captureLogs ? log : noop, module: moduleName, version: versionId, InputError });
      // built without a prototype, so setters a module put on Object.prototype cannot touch the report
      const report = (kind, detail) => {
        open = false;
        const result = create(null);
        const names = keys(detail);
        for (let i = 0; i < names.length; i++) result[names[i]] = detail[names[i]];
        result.kind = kind;
        result.logs = logs;
        result.truncated = truncated;
        return result;
      };

      let value;
      try {
        value = await fn(inputJson === undefined ? null : parse(inputJson), ctx);
      } catch (error) {
        if (((typeof error === 'object' && error !== null) || typeof error === 'function') &&
            apply(isInput, inputErrors, [error])) {
          return report('input_error', { message: describe(error).message });
        }
        return report('error', describe(error));
      }
      let json;
      try {
        json = stringify(value);
      } catch (error) {
        return report('not_json', { message: describe(error).message });
      }
      if (typeof json !== 'string') {
        return report('not_json', { message: 'the output is ' + typeName(value) + ', which JSON cannot represent' });
      }
      // UTF-16 length never exceeds UTF-8 bytes: an output this long is too large without copying it out
      if (json.length > maxOutputBytes) return report('too_large', { length: json.length });
      return report('ok', { json });
    };
  };
})()`;
