import { readDirectAccessSettings, type DirectAccessSettings } from './direct-access/settings';
import { invalid, runtimeParameter, value, type Environment } from './environment';

/** The server's settings, from DRUM's environment variables. */
export interface ServerConfig {
  /** PORT: 0 picks a free port. Default 8080. */
  readonly port: number;
  /** HOST: the address to listen on. Default: every interface. */
  readonly host: string | undefined;
  /** URL_PREFIX, normalized to `/prefix` (or empty). */
  readonly urlPrefix: string;
  /** WORKERS: how many processes serve (DRUM's --max-workers). Default 1. */
  readonly workers: number;
  /** ENABLE_OTEL / MLOPS_RUNTIME_PARAM_ENABLE_OTEL. Default true. */
  readonly tracing: boolean;
  /** CHAT_TOKEN_DELAY_MS: milliseconds before each token of a chat answer. Default 20. */
  readonly chatTokenDelayMs: number;
  /** DIRECT_ACCESS_URL and MLOPS_RUNTIME_PARAM_NIM_DIRECT_ACCESS_REQUEST_TIMEOUT: the direct-access routes' backend. */
  readonly directAccess: DirectAccessSettings;
}

function integer(env: Environment, variable: string, minimum: number, maximum: number, fallback: number): number {
  const raw = value(env, variable);
  if (raw === undefined) return fallback;
  const parsed = Number(raw);
  if (!/^\d+$/.test(raw) || parsed < minimum || parsed > maximum) {
    throw invalid(variable, raw, `a whole number from ${minimum} to ${maximum}`);
  }
  return parsed;
}

const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };

/** ENABLE_OTEL: true/false (also 1/0, yes/no) in any case. */
function plainSwitch(env: Environment): boolean | undefined {
  const raw = value(env, 'ENABLE_OTEL');
  if (raw === undefined) return undefined;
  const parsed = BOOLEAN_WORDS[raw.toLowerCase()];
  if (parsed === undefined) throw invalid('ENABLE_OTEL', raw, 'true or false');
  return parsed;
}

/** DRUM's runtime-parameter form: `MLOPS_RUNTIME_PARAM_ENABLE_OTEL={"type":"boolean","payload":true}`. */
function runtimeParameterSwitch(env: Environment): boolean | undefined {
  const variable = 'MLOPS_RUNTIME_PARAM_ENABLE_OTEL';
  const raw = value(env, variable);
  if (raw === undefined) return undefined;
  const { type, payload } = runtimeParameter(raw);
  if (type !== 'boolean' || typeof payload !== 'boolean') {
    throw invalid(variable, raw, 'JSON such as {"type":"boolean","payload":true}');
  }
  return payload;
}

/** Whether to trace: the two forms must agree when both are set. */
export function readTracingSwitch(env: Environment): boolean {
  const plain = plainSwitch(env);
  const parameter = runtimeParameterSwitch(env);
  if (plain !== undefined && parameter !== undefined && plain !== parameter) {
    throw new Error(`ENABLE_OTEL (${plain}) and MLOPS_RUNTIME_PARAM_ENABLE_OTEL (${parameter}) disagree; set one of them`);
  }
  return plain ?? parameter ?? true;
}

/** URL_PREFIX as routing-controllers wants it: one leading slash, no trailing one, no spaces or query. */
export function readUrlPrefix(env: Environment): string {
  const raw = value(env, 'URL_PREFIX');
  if (raw === undefined) return '';
  if (!/^\/?[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(raw)) throw invalid('URL_PREFIX', raw, 'a URL path such as /drum');
  const prefix = `/${raw.replace(/^\/+|\/+$/g, '')}`;
  return prefix === '/' ? '' : prefix;
}

/** PORT: 0 to 65535 (0 picks a free port). */
export function readPort(env: Environment, fallback: number): number {
  return integer(env, 'PORT', 0, 65535, fallback);
}

/** Every setting, or an Error naming the variable at fault. */
export function readServerConfig(env: Environment): ServerConfig {
  return {
    port: readPort(env, 8080),
    host: value(env, 'HOST'),
    urlPrefix: readUrlPrefix(env),
    workers: integer(env, 'WORKERS', 1, 256, 1),
    tracing: readTracingSwitch(env),
    chatTokenDelayMs: integer(env, 'CHAT_TOKEN_DELAY_MS', 0, 60_000, 20),
    directAccess: readDirectAccessSettings(env),
  };
}
