import { ApiClient } from './api-client.js';
import type { CliEnv } from './config-file.js';
import { resolveLogin } from './config-file.js';
import { Output } from './terminal.js';

/** What every command gets: the environment, the output, and (lazily: login needs none) the API client. */
export interface Context {
  env: CliEnv;
  out: Output;
  client(): ApiClient;
  /** Set by a command whose outcome was not the one asked for (a rejection); main exits with it. */
  exitCode: number;
  /** How long a command waits for an outcome (--timeout). */
  timeoutMs: number;
}

export function createContext(env: CliEnv, json: boolean, timeoutMs: number): Context {
  let client: ApiClient | undefined;
  return {
    env,
    out: new Output(json),
    exitCode: 0,
    timeoutMs,
    client() {
      if (!client) {
        const login = resolveLogin(env);
        client = new ApiClient(login.url, login.token);
      }
      return client;
    },
  };
}
