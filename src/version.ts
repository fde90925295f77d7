/** The package version, reported as the instrumentation scope version (kept equal to package.json by a test). */
export const VERSION = '0.1.0';

/** The instrumentation scope name of drum-otel's tracer, meter and logger. */
export const INSTRUMENTATION_NAME = 'drum-otel';
