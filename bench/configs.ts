/**
 * What is measured, shared by the parent (bench/run.ts) and the server processes (bench/server.ts).
 * Kept free of OpenTelemetry and Express imports: the server reads it before it decides what to load.
 */

/** The server configurations of issue 6, in the order they are reported. */
export const CONFIG_NAMES = ['baseline', 'drum-otel', 'drum-otel+otlp', 'drum-otel+metrics', 'notrace', 'auto', 'floor'] as const;
export type ConfigName = (typeof CONFIG_NAMES)[number];

export function isConfigName(value: unknown): value is ConfigName {
  return (CONFIG_NAMES as readonly unknown[]).includes(value);
}

/** One route the load generator drives: the same path and body on every configuration. */
export interface RouteSpec {
  readonly name: string;
  readonly method: 'POST';
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
}

/** The environment variable through which the parent hands the OTLP receiver's URL to a server. */
export const OTLP_URL_ENV = 'DRUM_OTEL_BENCH_OTLP_URL';

/** Reads a positive number from the environment, or the default; a bad value is a startup error. */
export function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}
