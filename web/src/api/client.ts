// The one API client: typed from the OpenAPI document (schema.ts, generated), so a component
// never guesses a field's name. Errors become ApiError with the server's error_code and message.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

/** An answer that was not a success, or no answer at all (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly retryAfterSecs: number | null;

  constructor(status: number, code: string, message: string, details: unknown = null, retryAfterSecs: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterSecs = retryAfterSecs;
  }
}

// Cookie-authenticated writes must say they come from the UI (the CSRF guard).
const csrf: Middleware = {
  onRequest({ request }) {
    if (request.method !== "GET" && request.method !== "HEAD") {
      request.headers.set("X-BanGUI-Request", "1");
    }
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(csrf);

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function isErrorBody(v: unknown): v is { error_code: string; message: string; details?: unknown } {
  return typeof v === "object" && v !== null && "error_code" in v && "message" in v;
}

/** The data of a successful answer; throws ApiError otherwise. */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, "network_error", "bangui cannot be reached. Check your connection; this retries by itself.");
  }
  const { data, error, response } = answer;
  if (response.ok) return data as T;
  const retry = Number(response.headers.get("retry-after"));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  if (isErrorBody(error)) {
    throw new ApiError(response.status, error.error_code, error.message, error.details ?? null, retryAfter);
  }
  throw new ApiError(response.status, "http_" + response.status, `bangui answered ${response.status} ${response.statusText}`.trim(), null, retryAfter);
}

/** A message for any error a query or mutation threw. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return "Something went wrong.";
}
