/** Exit codes of `seed-agent` (docs/cli.md): scripts branch on them. */
export const EXIT = {
  ok: 0,
  /** The server refused or failed the request, or the outcome was not the one asked for (a rejection). */
  failed: 1,
  /** Bad usage or local configuration: nothing was sent. */
  usage: 2,
} as const;

/** An error the CLI reports in one line (or as `{error}` with --json) before exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
    readonly code = 'cli_error',
    readonly details?: unknown,
  ) {
    super(message);
  }
}
