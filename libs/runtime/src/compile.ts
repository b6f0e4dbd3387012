import { transform, type Message } from 'esbuild';

/** Global the compiled script assigns the module's exports to; the sandbox reads it once and deletes it. */
export const MODULE_GLOBAL = '__seedModule';

/** Position of a compile message in the module source; line and column are 1-based, 0 when esbuild gave none. */
export interface CompileDiagnostic {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

export type CompileResult =
  | { readonly ok: true; readonly code: string; readonly warnings: readonly CompileDiagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly CompileDiagnostic[] };

/**
 * Turns a module's TypeScript source into one self-contained script for the sandbox. Types are stripped, not
 * checked. The script carries an inline source map so runtime errors can name lines of the original source.
 */
export async function compileModule(source: string): Promise<CompileResult> {
  try {
    const result = await transform(source, {
      loader: 'ts',
      target: 'es2022',
      format: 'iife',
      globalName: MODULE_GLOBAL,
      sourcemap: 'inline',
      sourcefile: 'module.ts',
      // the source is an ES module, and modules are strict; the iife esbuild emits would not be
      banner: "'use strict';",
      // no tsconfig is read from disk: the same source always compiles the same way
      tsconfigRaw: {},
      logLevel: 'silent',
    });
    return { ok: true, code: result.code, warnings: result.warnings.map(toDiagnostic) };
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors;
    if (!Array.isArray(errors) || errors.length === 0) throw error;
    return { ok: false, diagnostics: errors.map(toDiagnostic) };
  }
}

function toDiagnostic(message: Message): CompileDiagnostic {
  const location = message.location;
  if (!location) return { message: message.text, line: 0, column: 0 };
  // esbuild counts columns in UTF-8 bytes; editors count characters
  const prefix = Buffer.from(location.lineText, 'utf8').subarray(0, location.column).toString('utf8');
  return { message: message.text, line: location.line, column: prefix.length + 1 };
}
