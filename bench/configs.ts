/**
 * What is measured, shared by the parent (bench/run.ts) and the server processes (bench/server.ts).
 * Kept free of OpenTelemetry and Express imports: the server reads it before it decides what to load.
 */

/** The web framework a configuration's app runs on: routing-controllers' Express or Koa driver. */
export type Framework = 'express' | 'koa';

/** How drum-otel instruments the bench's controllers (and whether the example app is instrumented). */
export type Instrumentation = 'none' | 'traced' | 'notrace';

/**
 * One part of the shipped set-up taken away (or swapped) after `setupOtel()` ran, to measure what it costs:
 * - `no-provider`: the tracer provider unregistered (spans are non-recording); context manager and propagator stay;
 * - `no-provider-no-propagator`: the same without the propagator: the context manager alone;
 * - `w3c-propagator`: the SDK's default propagator (W3C trace context + baggage) instead of setupOtel's B3 + W3C;
 * - `no-context-manager`: no context manager (spans still made; `context.with` does nothing);
 * - `no-diag`: no `diag` console logger (`OTEL_LOG_LEVEL=none`).
 */
export type Ablation = 'no-provider' | 'no-provider-no-propagator' | 'w3c-propagator' | 'no-context-manager' | 'no-diag';

/** The OpenTelemetry a configuration's server sets up before it loads Express. */
export type Sdk =
  | { readonly kind: 'none' }
  /** `setupOtel()` as the example server calls it, from the standard variables the server sets. */
  | {
      readonly kind: 'setupOtel';
      readonly exporter: 'none' | 'otlp';
      /** 1: `parentbased_always_on`; 0: `always_off` (no span recorded at all); between: `parentbased_traceidratio` with this ratio. */
      readonly ratio: number;
      readonly disabled?: boolean;
      readonly ablation?: Ablation;
    }
  /** A bare `NodeTracerProvider` + `BatchSpanProcessor`, exporting to a counting exporter that drops spans. */
  | { readonly kind: 'provider' }
  /** The bare provider and an SDK `MeterProvider` registered globally, collected at each window's end. */
  | { readonly kind: 'provider+metrics' }
  /**
   * The bare provider and an SDK `LoggerProvider` (batch processor, an exporter that drops the records)
   * registered globally, with one log record written through the Logs API per request.
   */
  | { readonly kind: 'provider+logs' }
  /** The bare provider plus instrumentation-http and -express. */
  | { readonly kind: 'auto' }
  /** The bare provider plus instrumentation-http and -koa (the Koa row's `auto`). */
  | { readonly kind: 'auto-koa' }
  /** An SDK `MeterProvider` registered globally and a middleware that records each request's duration. */
  | { readonly kind: 'metrics-only' }
  /** `AsyncLocalStorageContextManager` enabled and a middleware that only enters a context. */
  | { readonly kind: 'floor' }
  /**
   * `setupOtel()` as in `shipped` (exporter none, the given ratio) and, instead of drum-otel, a middleware
   * that does only what the SDK and Node must for a traced request: the SDK's span and its context.
   */
  | { readonly kind: 'span-only'; readonly ratio: number }
  /**
   * `span-only` with the attributes drum-otel's span has on the bench's requests (the server address and port
   * and the client address at the start, the protocol version once recording, both status codes at the end):
   * the SDK's part of drum-otel's own span, so that `shipped` beside it is drum-otel's code alone.
   */
  | { readonly kind: 'span-only-full'; readonly ratio: number }
  /** The `span-only` middleware over the bare provider of `drum-otel` and `auto` instead of `setupOtel()`. */
  | { readonly kind: 'span-only-bare' };

export interface ConfigSpec {
  readonly name: string;
  readonly instrumentation: Instrumentation;
  readonly sdk: Sdk;
  /** Run when BENCH_CONFIGS is unset; the others (the bisection of the shipped set-up) only when named. */
  readonly byDefault: boolean;
  /** Default: `express`. */
  readonly framework?: Framework;
}

const SHIPPED = { kind: 'setupOtel', exporter: 'none', ratio: 1 } as const;
const RATIO_1_PERCENT = 0.01;

/** The configurations, in the order they are reported. */
export const CONFIGS = [
  { name: 'baseline', instrumentation: 'none', sdk: { kind: 'none' }, byDefault: true },
  { name: 'shipped', instrumentation: 'traced', sdk: SHIPPED, byDefault: true },
  { name: 'shipped@1%', instrumentation: 'traced', sdk: { ...SHIPPED, ratio: RATIO_1_PERCENT }, byDefault: true },
  { name: 'shipped+otlp', instrumentation: 'traced', sdk: { ...SHIPPED, exporter: 'otlp' }, byDefault: true },
  { name: 'shipped+otlp@1%', instrumentation: 'traced', sdk: { ...SHIPPED, exporter: 'otlp', ratio: RATIO_1_PERCENT }, byDefault: true },
  { name: 'notrace', instrumentation: 'notrace', sdk: SHIPPED, byDefault: true },
  { name: 'drum-otel', instrumentation: 'traced', sdk: { kind: 'provider' }, byDefault: true },
  { name: 'drum-otel+metrics', instrumentation: 'traced', sdk: { kind: 'provider+metrics' }, byDefault: true },
  { name: 'drum-otel+logs', instrumentation: 'traced', sdk: { kind: 'provider+logs' }, byDefault: true },
  { name: 'auto', instrumentation: 'none', sdk: { kind: 'auto' }, byDefault: true },
  { name: 'floor', instrumentation: 'none', sdk: { kind: 'floor' }, byDefault: true },
  { name: 'sdk-disabled', instrumentation: 'traced', sdk: { ...SHIPPED, disabled: true }, byDefault: true },
  { name: 'loaded-only', instrumentation: 'none', sdk: { ...SHIPPED, disabled: true }, byDefault: false },
  { name: 'span-only', instrumentation: 'none', sdk: { kind: 'span-only', ratio: 1 }, byDefault: true },
  { name: 'span-only@1%', instrumentation: 'none', sdk: { kind: 'span-only', ratio: RATIO_1_PERCENT }, byDefault: true },
  { name: 'span-only-full', instrumentation: 'none', sdk: { kind: 'span-only-full', ratio: 1 }, byDefault: true },
  { name: 'span-only-off', instrumentation: 'none', sdk: { kind: 'span-only', ratio: 0 }, byDefault: false },
  { name: 'span-only-bare', instrumentation: 'none', sdk: { kind: 'span-only-bare' }, byDefault: true },
  { name: 'metrics-only', instrumentation: 'none', sdk: { kind: 'metrics-only' }, byDefault: true },
  { name: 'context-manager', instrumentation: 'traced', sdk: { ...SHIPPED, ablation: 'no-provider-no-propagator' }, byDefault: false },
  { name: 'context+propagator', instrumentation: 'traced', sdk: { ...SHIPPED, ablation: 'no-provider' }, byDefault: false },
  { name: 'shipped-b3', instrumentation: 'traced', sdk: { ...SHIPPED, ablation: 'w3c-propagator' }, byDefault: false },
  { name: 'shipped-context', instrumentation: 'traced', sdk: { ...SHIPPED, ablation: 'no-context-manager' }, byDefault: false },
  { name: 'shipped-diag', instrumentation: 'traced', sdk: { ...SHIPPED, ablation: 'no-diag' }, byDefault: false },
  { name: 'shipped-off', instrumentation: 'traced', sdk: { ...SHIPPED, ratio: 0 }, byDefault: false },
  // The Koa row: the same app on routing-controllers' Koa driver, untraced, with drum-otel, and with the
  // upstream instrumentations, so that drum-otel on Koa is compared with what a Koa user would run instead.
  { name: 'koa-baseline', instrumentation: 'none', sdk: { kind: 'none' }, byDefault: true, framework: 'koa' },
  { name: 'koa-shipped', instrumentation: 'traced', sdk: SHIPPED, byDefault: true, framework: 'koa' },
  { name: 'koa-drum-otel', instrumentation: 'traced', sdk: { kind: 'provider' }, byDefault: true, framework: 'koa' },
  { name: 'koa-auto', instrumentation: 'none', sdk: { kind: 'auto-koa' }, byDefault: true, framework: 'koa' },
] as const satisfies readonly ConfigSpec[];

export type ConfigName = (typeof CONFIGS)[number]['name'];

export const CONFIG_NAMES: readonly ConfigName[] = CONFIGS.map((config) => config.name);

export function isConfigName(value: unknown): value is ConfigName {
  return (CONFIG_NAMES as readonly unknown[]).includes(value);
}

/** BENCH_CONFIGS (a comma list), or those run by default; `baseline` always, every ratio being to it. */
export function selectedConfigs(): ConfigName[] {
  const raw = process.env.BENCH_CONFIGS;
  if (!raw) return CONFIGS.filter((config) => config.byDefault).map((config) => config.name);
  const names = raw.split(',').map((name) => name.trim());
  for (const name of names) if (!isConfigName(name)) throw new Error(`BENCH_CONFIGS: unknown configuration ${name}`);
  return CONFIG_NAMES.filter((name) => name === 'baseline' || names.includes(name));
}

export function configSpec(name: ConfigName): ConfigSpec {
  return CONFIGS.find((config) => config.name === name)!;
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

/** Whether a configuration exports to the loopback OTLP receiver (the parent starts one then). */
export function exportsOtlp(name: ConfigName): boolean {
  const { sdk } = configSpec(name);
  return sdk.kind === 'setupOtel' && sdk.exporter === 'otlp';
}

/** Node flags from a space-separated environment variable (none when unset). */
export function flagsFromEnv(name: string): string[] {
  return (process.env[name] ?? '').split(' ').filter(Boolean);
}

/** Reads a positive number from the environment, or the default; a bad value is a startup error. */
export function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}
