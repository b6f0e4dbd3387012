import { CliError, EXIT } from './cli-error.js';

/** A JSON answer as the CLI reads it: loosely, since the server may be a release older or newer than the CLI. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- whatever the route answers
export type Wire = any;
export type WireObject = Record<string, Wire>;

/** An error answer of the API: `{error: {code, message, details?}}` with its status. */
export class ApiFailure extends CliError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    details?: unknown,
  ) {
    super(message, EXIT.failed, code, details);
  }
}

/** The REST API with the bearer token; JSON in, JSON out. */
export class ApiClient {
  private readonly base: string;

  constructor(
    readonly baseUrl: URL,
    private readonly token: string,
  ) {
    this.base = `${baseUrl.origin}${baseUrl.pathname.replace(/\/+$/, '')}`;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  get<T = Wire>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T = Wire>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const response = await this.fetch(path, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw await failureOf(response);
    const text = await response.text();
    return (text ? tryJson(text) : null) as T;
  }

  /** The raw response (streams read its body); a network failure becomes one clear line. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(this.url(path), {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.token}` },
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach ${this.baseUrl.origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
        EXIT.failed,
        'unreachable',
      );
    }
  }
}

/** The API error of a response that is not ok. */
export async function failureOf(response: Response): Promise<ApiFailure> {
  const text = await response.text();
  return failure(response.status, text ? tryJson(text) : null, text);
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function failure(status: number, body: unknown, text: string): ApiFailure {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (error && typeof error.code === 'string')
    return new ApiFailure(status, error.code, String(error.message ?? error.code), error.details);
  return new ApiFailure(status, `http_${status}`, `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}
