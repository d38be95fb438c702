/**
 * The one helper for every call to the JetLag REST API under /jetlag/api/.
 *
 * It adds the server's base URL, lets ServerConnection add the token and the XSRF header,
 * and turns the server's JSON errors (`{"error": ..., "field": ...}`) into a JetLagAPIError
 * that keeps the server's own words, so the panel shows them unchanged. It holds no state.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** The path of the REST API below the server's base URL. */
export const API_PATH = 'jetlag/api';

/** An answer of the JetLag API that was not a success, in the server's words. */
export class JetLagAPIError extends Error {
  /** HTTP status (0 when the server could not be reached). */
  readonly status: number;
  /** The parameter, body field or path part at fault, when the server named one. */
  readonly field: string | null;

  constructor(message: string, status: number, field: string | null = null) {
    super(message);
    this.name = 'JetLagAPIError';
    this.status = status;
    this.field = field;
  }
}

/** The absolute URL of an API path such as `traces/abc/download`. */
export function apiURL(
  endPoint: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  return URLExt.join(settings.baseUrl, API_PATH, endPoint);
}

/** The message of any error, preferring the server's own words. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}

async function failure(response: Response): Promise<JetLagAPIError> {
  const text = await response.text();
  let message = text.trim() || `${response.status} ${response.statusText}`;
  let field: string | null = null;
  try {
    const data = JSON.parse(text);
    if (data && typeof data.error === 'string') {
      message = data.error;
      field = typeof data.field === 'string' ? data.field : null;
    } else if (data && typeof data.message === 'string' && data.message) {
      message = data.message; // jupyter-server's own errors (403, 404 outside our routes)
    }
  } catch {
    // not JSON: keep the text
  }
  return new JetLagAPIError(message, response.status, field);
}

/** Calls the API and returns the raw Response when it succeeded (for blobs, text). */
export async function requestRaw(
  endPoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<Response> {
  let response: Response;
  // ServerConnection's default `cache: 'no-store'` appends a bare timestamp to the query
  // string (a cache-buster), which the API rejects as an unknown parameter; 'no-cache'
  // asks the browser to revalidate instead, so answers are never stale either.
  const request: RequestInit = { cache: 'no-cache', ...init };
  try {
    response = await ServerConnection.makeRequest(apiURL(endPoint, settings), request, settings);
  } catch (error) {
    throw new JetLagAPIError(
      `the Jupyter server could not be reached: ${errorMessage(error)}`,
      0
    );
  }
  if (!response.ok) {
    throw await failure(response);
  }
  return response;
}

/**
 * Calls the API and parses its JSON answer.
 *
 * @param endPoint path below /jetlag/api/, with its query string
 * @param init fetch options; a plain object `body` must already be JSON text
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const response = await requestRaw(endPoint, init, settings);
  const text = await response.text();
  if (!text) {
    return undefined as unknown as T;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new JetLagAPIError(`the server's answer to ${endPoint} is not JSON`, response.status);
  }
}

/** Sends a JSON body with the given method. */
export function sendJSON<T>(endPoint: string, method: string, body: unknown): Promise<T> {
  return requestAPI<T>(endPoint, {
    method,
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' }
  });
}

/** Calls the API for text (stdout, stderr). */
export async function requestText(endPoint: string): Promise<string> {
  const response = await requestRaw(endPoint);
  return response.text();
}
