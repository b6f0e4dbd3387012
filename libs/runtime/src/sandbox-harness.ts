import { MAX_CAPABILITY_ARGS } from './capability-session.js';
import { MODULE_GLOBAL } from './compile.js';
import {
  LOG_LINE_OVERHEAD,
  MAX_ERROR_MESSAGE,
  MAX_ERROR_NAME,
  MAX_ERROR_STACK,
  TASK_GUARD,
} from './harness-report.js';

/**
 * Calls start only this long (ms, by the isolate's Date.now) after their batch began; the batch's task gets this
 * much on top of the CPU timeout, so every call that starts still has the whole CPU timeout to itself.
 */
export const BATCH_START_WINDOW_MS = 2;
/** Values per call in a batch: id, input JSON, capture logs, grant bits, secret handles JSON. */
export const BATCH_CALL_ARITY = 5;
/** Int32 slots of the progress buffer: calls of the last batch started, and 1 once its loop over them ended. */
export const PROGRESS_STARTED = 0;
export const PROGRESS_LOOP_DONE = 1;

/**
 * Script evaluated in every fresh context before the module's code. Its value holds the functions the host keeps
 * as References (nothing of them is reachable from the module's globals): `bind` runs the module's script once,
 * `bound` then answers the `batch` function or the load failure, and `settle` answers a capability request.
 *
 * `batch` takes the calls the host gathered in one turn (BATCH_CALL_ARITY primitives each, the input already JSON)
 * and starts them one by one, synchronously, in one task: no microtask runs between them, so while the loop is in
 * a call's synchronous part that call alone is running. It writes how many calls it started to a SharedArrayBuffer
 * the host reads even after a timeout or a disposal, and stops early, leaving the rest for the host to send again,
 * after a call that did not finish synchronously (its awaits run as the task's microtasks, with nobody else's) and
 * once BATCH_START_WINDOW_MS passed. A finished call's report leaves at once, on its own, through the host's
 * `report` Reference (arguments copied when sent: a later call that exhausts memory cannot take it along).
 *
 * isolated-vm ends every task by copying out, whole, the reason of the first promise rejected without a handler,
 * and a module can leave one with a 20 MB reason (or getters on it). So `bind` and `invoke` first reject a private
 * promise of their own with a short reason: it stays first, the copy stays short, and the task "fails" with
 * TASK_GUARD, which the host expects. Whatever a task would have returned is lost that way, hence `bound`, which
 * runs no module code: the microtasks were drained at the end of the task before, and the module gets no
 * FinalizationRegistry, whose callbacks could run in between.
 *
 * Module code runs in this same context and may replace any global or prototype, so everything the harness uses
 * after it is captured here first, and nothing that leaves the isolate is built with a method the module can
 * reach: no method call on a value the module made, no object with a prototype the module can set accessors on.
 * Nothing the module throws may leave either: isolated-vm copies a thrown value whole (a 20 MB message, a stack
 * getter's result), so bind and invoke catch everything and answer with strings they cut themselves.
 *
 * Capabilities (ctx.kv, ctx.call, ...) are built per call from the grant bits `invoke` gets, and only the ones
 * granted exist. A capability call sends primitives only (ids, names and the arguments' JSON, cut here and checked
 * again on the host) through the host's `request` Reference, whose applyIgnored is captured before module code
 * runs, and returns a promise of the harness's own; the host answers later with a task of its own (`settle`,
 * under the CPU timeout), so a call that awaited a capability is reported like any other.
 *
 * Kept as plain JavaScript text (not a host function's toString) so coverage instrumentation cannot leak into it.
 */
export const HARNESS_SOURCE = String.raw`'use strict';
(() => {
  const g = globalThis;
  const uncurry = Function.prototype.bind.bind(Function.prototype.call);
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const freeze = Object.freeze;
  const defineProperty = Object.defineProperty;
  const setPrototypeOf = Object.setPrototypeOf;
  const construct = Reflect.construct;
  const evaluate = g.eval;
  const rejectWith = Promise.reject.bind(Promise);
  const resolveWith = Promise.resolve.bind(Promise);
  const isError = Error.isError;
  const toText = String;
  const toNumber = Number;
  const sliceText = uncurry(String.prototype.slice);
  const charCodeAt = uncurry(String.prototype.charCodeAt);
  const NativeArrayBuffer = ArrayBuffer;
  const apply = Reflect.apply;
  const NativePromise = Promise;
  const hasOwn = Object.hasOwn;
  const now = Date.now;
  const NativeInt32Array = Int32Array;

  // Only errors this constructor built are the caller's fault: the host trusts the harness's WeakSet, never a
  // name or a message the module chose (WeakSet's methods are captured before any module code runs).
  const inputErrors = new WeakSet();
  const markInput = WeakSet.prototype.add;
  const isInput = WeakSet.prototype.has;
  class InputError extends Error {
    constructor(message) {
      super(message);
      apply(markInput, inputErrors, [this]);
    }
  }
  defineProperty(InputError.prototype, 'name', { value: 'InputError' });
  freeze(InputError.prototype);
  freeze(InputError);

  // The same for capability failures: a module that lets one escape fails with its code, not runtime_error.
  const capabilityErrors = new WeakSet();
  // only the harness's own carry its code out: one the module constructs is an ordinary error
  const issued = freeze({ __proto__: null });
  class CapabilityError extends Error {
    constructor(code, message, token) {
      super(message);
      defineProperty(this, 'code', { __proto__: null, value: toText(code), enumerable: true });
      if (token === issued) apply(markInput, capabilityErrors, [this]);
    }
  }
  defineProperty(CapabilityError.prototype, 'name', { value: 'CapabilityError' });
  freeze(CapabilityError.prototype);
  freeze(CapabilityError);

  // These allocate memory that isolated-vm's memory limit does not count (a resizable ArrayBuffer grew the
  // host's RSS past 1 GB under a 16 MB limit), so the module gets none of them.
  delete g.WebAssembly;
  delete g.SharedArrayBuffer;
  delete g.FinalizationRegistry;

  // kept referenced until the next task: a collected promise would no longer come first
  let guardPromise;
  const guard = () => {
    guardPromise = rejectWith('${TASK_GUARD}');
  };
  // no prototype: a trap the module put on Object.prototype (getPrototypeOf, get) would hand it the native target
  const SafeArrayBuffer = new Proxy(NativeArrayBuffer, {
    __proto__: null,
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
  defineProperty(NativeArrayBuffer.prototype, 'constructor', { __proto__: null, value: SafeArrayBuffer, writable: true, configurable: true });
  defineProperty(g, 'ArrayBuffer', { __proto__: null, value: SafeArrayBuffer, writable: true, configurable: true });

  const typeName = (value) => (value === null ? 'null' : typeof value);

  // a cut text ends with '…'
  const clip = (text, max) => (text.length > max ? sliceText(text, 0, max) + '…' : text);

  // always a primitive string; module code may run (toJSON, getters, toString) but only its result is used
  const show = (value) => {
    if (typeof value === 'string') return value;
    try {
      if (isError(value)) return toText(value.stack ?? value);
      const json = stringify(value);
      if (typeof json === 'string') return json;
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
      const c = charCodeAt(text, i);
      let size = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      let units = 1;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = charCodeAt(text, i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          size = 4;
          units = 2;
        }
      }
      if (bytes + size > maxBytes) return { __proto__: null, text: sliceText(text, 0, i), bytes, cut: true };
      bytes += size;
      i += units - 1;
    }
    return { __proto__: null, text, bytes, cut: false };
  };

  // name, message and stack of anything thrown, each cut; reading them may run module code, which may throw too
  const describe = (error) => {
    if ((typeof error !== 'object' || error === null) && typeof error !== 'function') {
      return { __proto__: null, name: undefined, message: clip(toText(error), ${MAX_ERROR_MESSAGE}), stack: undefined };
    }
    let name = 'Error';
    let message = '';
    let stack;
    try { name = clip(toText(error.name ?? 'Error'), ${MAX_ERROR_NAME}); } catch {}
    try { message = clip(toText(error.message ?? ''), ${MAX_ERROR_MESSAGE}); } catch {}
    try {
      const raw = error.stack;
      if (raw !== undefined) stack = clip(toText(raw), ${MAX_ERROR_STACK});
    } catch {}
    return { __proto__: null, name, message, stack };
  };

  const loadFailure = (code, detail) =>
    ({ __proto__: null, code, name: detail.name, message: detail.message, stack: detail.stack });

  const noop = () => {};
  let outcome = loadFailure('runtime_error', { message: 'the module was not bound' });
  let bindCalled = false;
  // isolated-vm reads these options with ordinary gets: no prototype, so nothing the module set can answer
  const copyArguments = freeze({ __proto__: null, arguments: freeze({ __proto__: null, copy: true }) });
  let sendReport = noop;
  // the host's view of the batch in progress (see batch)
  let progress = new NativeInt32Array(2);
  // capability calls waiting for the host, by request id
  const pending = { __proto__: null };
  let lastRequest = 0;
  let sendRequest = noop;

  const bind = (script, moduleName, versionId, maxOutputBytes, maxLogBytes, maxLogLines, host, reporter, progressBuffer) => {
    guard();
    if (bindCalled) return;
    bindCalled = true;
    if (host !== undefined) {
      const applyIgnored = uncurry(host.applyIgnored);
      sendRequest = (id, rid, capability, op, json) => applyIgnored(host, undefined, [id, rid, capability, op, json]);
    }
    if (reporter !== undefined) {
      const applyIgnored = uncurry(reporter.applyIgnored);
      sendReport = (id, detail) => applyIgnored(reporter, undefined, [id, detail], copyArguments);
    }
    if (progressBuffer !== undefined) progress = new NativeInt32Array(progressBuffer);
    let fn;
    try {
      // indirect: the module's code sees only globals; its completion value is the module's exports
      const exported = evaluate(script);
      try { g.${MODULE_GLOBAL} = undefined; } catch {}
      fn = exported === null || exported === undefined ? undefined : exported.default;
    } catch (error) {
      outcome = loadFailure('runtime_error', describe(error));
      return;
    }
    if (typeof fn !== 'function') {
      outcome = loadFailure('not_a_function', { message: 'the default export is ' + typeName(fn) + ', not a function' });
      return;
    }

    // stores its report rather than returning it: awaiting or calling then on a promise looks up methods the
    // module can replace (Promise.prototype.then, constructor), which could hand it the report's resolver
    // a promise of the harness's own, settled by the host's answer (settle)
    // shape: what the module gets made of the host's JSON answer (fetch adds res.json())
    const request = (id, capability, op, args, shape) => {
      let json;
      try {
        json = stringify(args);
      } catch {}
      if (typeof json !== 'string') {
        return rejectWith(new CapabilityError('invalid_capability_args', 'the arguments of ' + capability + '.' + op + ' are not JSON', issued));
      }
      if (json.length > ${MAX_CAPABILITY_ARGS}) {
        return rejectWith(new CapabilityError('capability_limit', 'the arguments of ' + capability + '.' + op + ' are over ${MAX_CAPABILITY_ARGS} characters of JSON', issued));
      }
      const rid = ++lastRequest;
      let resolve;
      let reject;
      const promise = new NativePromise((yes, no) => {
        resolve = yes;
        reject = no;
      });
      pending[rid] = { __proto__: null, resolve, reject, shape };
      sendRequest(id, rid, capability, op, json);
      return promise;
    };

    // ctx.fetch's answer: { status, headers, body } as the host sent it, and json(), which parses the body
    // (a promise, as Response.json is) or rejects with a CapabilityError the module can catch
    const fetchResponse = (answer) => {
      if (typeof answer !== 'object' || answer === null) return answer;
      const body = answer.body;
      return {
        status: answer.status,
        headers: answer.headers,
        body,
        json: () => {
          try {
            return resolveWith(parse(body));
          } catch {
            return rejectWith(new CapabilityError('invalid_json', 'fetch: the response body (status ' + answer.status + ') is not JSON', issued));
          }
        },
      };
    };

    const capabilities = (id, grants, handlesJson) => {
      const handles = handlesJson === undefined ? { __proto__: null } : parse(handlesJson);
      return {
        __proto__: null,
        kv: grants & 1 ? freeze({
          __proto__: null,
          get: (key) => request(id, 'kv', 'get', [key]),
          set: (key, value, options) => request(id, 'kv', 'set', options === undefined ? [key, value] : [key, value, options]),
          delete: (key) => request(id, 'kv', 'delete', [key]),
          list: (prefix) => request(id, 'kv', 'list', prefix === undefined ? [] : [prefix]),
        }) : undefined,
        call: grants & 2 ? (name, input) => request(id, 'call', 'call', [name, input === undefined ? null : input]) : undefined,
        fetch: grants & 4 ? (url, init) => request(id, 'fetch', 'fetch', init === undefined ? [url] : [url, init], fetchResponse) : undefined,
        model: grants & 8 ? freeze({ __proto__: null, generate: (options) => request(id, 'model', 'generate', [options]) }) : undefined,
        secret: grants & 16 ? (name) => {
          const key = toText(name);
          if (!hasOwn(handles, key)) throw new CapabilityError('capability_denied', 'no secret ' + clip(key, 100) + ' is granted', issued);
          return handles[key];
        } : undefined,
      };
    };

    // Starts one call; true when it finished synchronously (its report sent), false when it awaits something.
    const start = (id, inputJson, captureLogs, grants, handlesJson) => {
      // no prototype: an index setter the module put on Array.prototype cannot see or grow it
      const logs = [];
      setPrototypeOf(logs, null);
      let kept = 0;
      let used = 0;
      let dropped = 0;
      let truncated = false;
      let open = true;
      const log = (...args) => {
        if (!open) return;
        if (truncated) {
          dropped++;
          return;
        }
        let line = '';
        // each piece is cut to the whole budget (one unit over, so the cut shows), and nothing past it is shown
        for (let i = 0; i < args.length && line.length <= maxLogBytes; i++) {
          const piece = show(args[i]);
          line += (i === 0 ? '' : ' ') + (piece.length > maxLogBytes ? sliceText(piece, 0, maxLogBytes + 1) : piece);
        }
        // show may have run module code that logged: the budget is read only now, and changed with no call between
        const budget = maxLogBytes - used - ${LOG_LINE_OVERHEAD};
        if (truncated || kept >= maxLogLines || budget < 0) {
          truncated = true;
          dropped++;
          return;
        }
        const fitted = fitUtf8(line, budget);
        if (fitted.cut) truncated = true;
        if (fitted.cut && fitted.text === '') {
          dropped++;
          return;
        }
        logs[kept] = fitted.text;
        kept++;
        used += fitted.bytes + ${LOG_LINE_OVERHEAD};
      };
      const granted = capabilities(id, grants, handlesJson);
      const ctx = freeze({
        log: captureLogs ? log : noop,
        module: moduleName,
        version: versionId,
        InputError,
        CapabilityError,
        kv: granted.kv,
        call: granted.call,
        fetch: granted.fetch,
        model: granted.model,
        secret: granted.secret,
      });
      // detail has no prototype either, so setters a module put on Object.prototype cannot touch the report
      const finish = (detail) => {
        if (!open) return;
        open = false;
        detail.logs = logs;
        detail.truncated = truncated;
        detail.dropped = dropped;
        sendReport(id, detail);
      };
      const harnessFailed = () =>
        finish({ __proto__: null, kind: 'error', name: 'Error', message: 'the sandbox harness failed', stack: undefined });
      const failed = (error) => {
        if (((typeof error === 'object' && error !== null) || typeof error === 'function') &&
            apply(isInput, inputErrors, [error])) {
          return finish({ __proto__: null, kind: 'input_error', message: describe(error).message });
        }
        if (((typeof error === 'object' && error !== null) || typeof error === 'function') &&
            apply(isInput, capabilityErrors, [error])) {
          return finish({ __proto__: null, kind: 'capability_error', code: error.code, message: describe(error).message });
        }
        const d = describe(error);
        return finish({ __proto__: null, kind: 'error', name: d.name, message: d.message, stack: d.stack });
      };
      const returned = (value) => {
        let json;
        try {
          json = stringify(value);
        } catch (error) {
          return finish({ __proto__: null, kind: 'not_json', message: describe(error).message });
        }
        if (typeof json !== 'string') {
          const message = 'the output is ' + typeName(value) + ', which JSON cannot represent';
          return finish({ __proto__: null, kind: 'not_json', message });
        }
        // UTF-16 length never exceeds UTF-8 bytes: an output this long is too large without copying it out
        if (json.length > maxOutputBytes) return finish({ __proto__: null, kind: 'too_large', length: json.length });
        return finish({ __proto__: null, kind: 'ok', json });
      };
      // a thenable is awaited, as before: await reads its then again, as the module's own await would
      const awaited = async (value) => {
        try {
          let settled;
          try {
            settled = await value;
          } catch (error) {
            return failed(error);
          }
          return returned(settled);
        } catch {
          return harnessFailed();
        }
      };

      try {
        let value;
        try {
          value = fn(inputJson === undefined ? null : parse(inputJson), ctx);
        } catch (error) {
          failed(error);
          return true;
        }
        // what await would do: a value with a callable then is a thenable; reading then may run the module's getter
        let then;
        if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
          try {
            then = value.then;
          } catch (error) {
            failed(error);
            return true;
          }
        }
        if (typeof then !== 'function') {
          returned(value);
          return true;
        }
        awaited(value);
        return false;
      } catch {
        harnessFailed();
        return true;
      }
    };

    // the calls of one batch, BATCH_CALL_ARITY values each: see the comment on HARNESS_SOURCE
    outcome = function batch(...calls) {
      guard();
      const began = now();
      progress[${PROGRESS_STARTED}] = 0;
      progress[${PROGRESS_LOOP_DONE}] = 0;
      for (let i = 0; i + ${BATCH_CALL_ARITY} <= calls.length; i += ${BATCH_CALL_ARITY}) {
        if (i > 0 && now() - began >= ${BATCH_START_WINDOW_MS}) break;
        progress[${PROGRESS_STARTED}] = i / ${BATCH_CALL_ARITY} + 1;
        if (!start(calls[i], calls[i + 1], calls[i + 2], calls[i + 3], calls[i + 4])) break;
      }
      progress[${PROGRESS_LOOP_DONE}] = 1;
    };
  };

  const bound = () => outcome;

  // the host's answer to capability request rid: its result's JSON, or a failure's code and message
  const settle = (rid, ok, payload, code) => {
    guard();
    const waiter = pending[rid];
    if (waiter === undefined) return;
    delete pending[rid];
    if (!ok) return waiter.reject(new CapabilityError(code, payload, issued));
    let value;
    try {
      value = payload === undefined ? undefined : parse(payload);
    } catch {
      return waiter.reject(new CapabilityError('capability_unavailable', 'the capability answered no JSON', issued));
    }
    waiter.resolve(waiter.shape === undefined ? value : waiter.shape(value));
  };

  return { __proto__: null, bind, bound, settle };
})()`;
