import { trace } from '@opentelemetry/api';
import { installedVersion } from '../installed-version';
import { warnMisuse } from './warnings';

// Every copy of @opentelemetry/api keeps its globals in one object on globalThis, stamped with the version of
// the copy that registered first. A copy of a newer minor version refuses that object (api 1.10 beside an SDK
// registered through api 1.9): its `trace` then hands out no-op tracers, and every span drum-otel starts through
// it vanishes without a word. Two copies come from an application whose SDK and drum-otel resolve different
// versions, or from a bundler that duplicated the package.

/** Where every copy of the API of major version 1 keeps its globals. */
const GLOBAL_API_KEY = Symbol.for('opentelemetry.js.api.1');

interface GlobalApi {
  readonly version?: string;
  readonly trace?: unknown;
}

let checked = false;

/**
 * Warns (once per process, on stderr) when a tracer provider is registered globally through a copy of
 * `@opentelemetry/api` that the copy drum-otel uses cannot see, naming both versions. Called the first time a
 * traced route is reached, when spans go to the global provider.
 */
export function checkApiCopies(): void {
  if (checked) return;
  checked = true;
  const registered = (globalThis as Record<symbol, GlobalApi | undefined>)[GLOBAL_API_KEY];
  if (registered?.trace === undefined || trace.getTracerProvider() === registered.trace) return;
  const own = installedVersion('@opentelemetry/api', require.resolve) ?? '(unknown version)';
  warnMisuse(
    'DRUM_OTEL_API_COPIES',
    `the tracer provider was registered through @opentelemetry/api ${registered.version ?? '(unknown version)'}, ` +
      `which the @opentelemetry/api ${own} that drum-otel loads cannot see, so its requests get no span. ` +
      'Install one copy of @opentelemetry/api (npm ls @opentelemetry/api lists them; npm dedupe, or align the versions).',
  );
}
