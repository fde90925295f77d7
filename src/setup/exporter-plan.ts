import type { EnvironmentReader } from './environment';

/** The OTLP/HTTP wire formats the installed exporters speak. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** An exporter to build, as `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER` or `OTEL_LOGS_EXPORTER` names it. */
export type ExporterPlan = { readonly kind: 'otlp'; readonly protocol: OtlpProtocol } | { readonly kind: 'console' };

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];
const EXPORTER_NAMES = ['otlp', 'console'] as const;

/** A signal, as the `OTEL_EXPORTER_OTLP_<SIGNAL>_*` variables spell it. */
export type Signal = 'TRACES' | 'METRICS' | 'LOGS';

/**
 * The exporters `OTEL_<SIGNAL>_EXPORTER` names (a comma-separated list of `otlp`, `console`, or `none`).
 * Unset, it means `otlp` when an OTLP endpoint variable is set and no exporter otherwise: the signal exports
 * nothing, as DRUM does. An unknown name is skipped; a setting naming no known exporter is ignored, as the
 * specification says, and its default `otlp` is used: a typo must not turn a signal's export off.
 */
export function readExporters(reader: EnvironmentReader, signal: Signal): ExporterPlan[] {
  const endpoints = [`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`, 'OTEL_EXPORTER_OTLP_ENDPOINT'];
  const names =
    reader.names(`OTEL_${signal}_EXPORTER`, EXPORTER_NAMES, ['otlp']) ??
    (endpoints.some((variable) => reader.value(variable) !== undefined) ? ['otlp'] : []);
  return names.map((name) => {
    if (name === 'console') return { kind: 'console' };
    endpoints.forEach((variable) => checkEndpoint(reader, variable));
    return { kind: 'otlp', protocol: readProtocol(reader, signal) };
  });
}

/** `OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`. */
function readProtocol(reader: EnvironmentReader, signal: Signal): OtlpProtocol {
  const read = (variable: string) =>
    reader.choice(variable, PROTOCOLS, 'http/protobuf', ' (drum-otel does not export over gRPC)');
  return read(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`) ?? read('OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
}

/**
 * Warns about an endpoint that is a URL but not an http(s) one (`collector:4318` parses as the scheme
 * `collector:`): the exporter accepts it, and every export fails. One that is no URL at all the exporter
 * reports itself.
 */
function checkEndpoint(reader: EnvironmentReader, variable: string): void {
  const value = reader.value(variable);
  if (value === undefined || !URL.canParse(value)) return;
  if (!['http:', 'https:'].includes(new URL(value).protocol)) {
    reader.invalid(variable, value, 'an http:// or https:// URL', 'every export to it fails');
  }
}
