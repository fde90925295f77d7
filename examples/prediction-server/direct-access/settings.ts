import { invalid, runtimeParameter, value, type Environment } from '../environment';

/** Where the direct-access routes forward to, and how long they wait: from DRUM's environment variables. */
export interface DirectAccessSettings {
  /**
   * DIRECT_ACCESS_URL: the origin of the OpenAI-compatible server the model runs on (NIM, vLLM), e.g.
   * `http://127.0.0.1:8000`; `/directAccess/v1/models` goes to `<origin>/v1/models`. `undefined`: the routes
   * answer DRUM's 400 ("only supported by OpenAI based predictors").
   */
  readonly backend: URL | undefined;
  /**
   * The runtime parameter NIM_DIRECT_ACCESS_REQUEST_TIMEOUT, in milliseconds (DRUM's is seconds, default
   * 3600): how long the backend may stay silent, before its answer starts or between two of its chunks, as
   * DRUM's `requests` timeout reads it. A stream that keeps sending is never cut.
   */
  readonly timeoutMs: number;
}

/** DRUM's default NIM_DIRECT_ACCESS_REQUEST_TIMEOUT: one hour. */
export const DEFAULT_DIRECT_ACCESS_TIMEOUT_SECONDS = 3600;

const TIMEOUT_PARAMETER = 'MLOPS_RUNTIME_PARAM_NIM_DIRECT_ACCESS_REQUEST_TIMEOUT';

/** DIRECT_ACCESS_URL: an http(s) origin (a trailing `/` allowed), with no credentials, path, query or fragment. */
export function readDirectAccessUrl(env: Environment): URL | undefined {
  const raw = value(env, 'DIRECT_ACCESS_URL');
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  const isOrigin =
    url !== undefined &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.username === '' &&
    url.password === '' &&
    url.pathname === '/' &&
    !raw.includes('?') &&
    !raw.includes('#');
  if (!isOrigin) throw invalid('DIRECT_ACCESS_URL', raw, 'an http:// or https:// origin such as http://127.0.0.1:8000');
  return new URL(url!.origin);
}

/** DRUM's runtime-parameter form: `{"type":"numeric","payload":3600}`, a positive number of seconds. */
export function readDirectAccessTimeoutMs(env: Environment): number {
  const raw = value(env, TIMEOUT_PARAMETER);
  if (raw === undefined) return DEFAULT_DIRECT_ACCESS_TIMEOUT_SECONDS * 1000;
  const { type, payload } = runtimeParameter(raw);
  // Node's timers hold at most 2^31-1 ms (about 24.8 days).
  if (type !== 'numeric' || typeof payload !== 'number' || !(payload > 0) || payload * 1000 > 2 ** 31 - 1) {
    throw invalid(TIMEOUT_PARAMETER, raw, 'JSON such as {"type":"numeric","payload":3600} (seconds, more than 0)');
  }
  return payload * 1000;
}

/** Both settings, or an Error naming the variable at fault. */
export function readDirectAccessSettings(env: Environment): DirectAccessSettings {
  return { backend: readDirectAccessUrl(env), timeoutMs: readDirectAccessTimeoutMs(env) };
}
