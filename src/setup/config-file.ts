import { logs } from '@opentelemetry/api';
import { createRequire } from 'node:module';
import { errorText } from './diag';
import {
  alreadyRegistered,
  assertNoProviderRegistered,
  contextManagerRegistered,
  readRegisteredProviders,
  unregisterGlobals,
} from './globals';
import type { Providers } from './handle';

// Setting the SDK up from the declarative configuration file OTEL_CONFIG_FILE names. The SDK's own
// startNodeSdk() interprets the file (every component the schema knows, as the SDK defines them); setupOtel
// keeps only what it adds: the check that no provider is registered yet, and its handle.

/** What setupOtel reads of a parsed file: whether it disables the SDK, and which providers it configures. */
interface ConfigurationModel {
  readonly disabled?: boolean | null;
  readonly tracer_provider?: object | null;
  readonly meter_provider?: object | null;
  readonly logger_provider?: object | null;
}

type SdkNode = typeof import('@opentelemetry/sdk-node');

/** What became of a setup from the file. */
export type ConfigFileStart =
  | { readonly outcome: 'started'; readonly providers: Providers }
  | { readonly outcome: 'disabled' }
  | { readonly outcome: 'unusable'; readonly reason: string };

/**
 * Sets the SDK up from `configFile` through startNodeSdk(), which registers the providers, the propagator
 * and the context manager globally itself. A file that cannot be read, parsed or validated, or from which the
 * SDK cannot be created, is `unusable`: the SDK then registered nothing. Throws, registering nothing, when a
 * tracer provider (or, when the file configures one, a meter provider) is registered already; when a logger
 * provider is, which the API only tells by refusing the SDK's, throws after unregistering what the SDK
 * registered.
 */
export function startFromConfigFile(configFile: string): ConfigFileStart {
  let config: ConfigurationModel;
  try {
    config = parseConfigFile(configFile);
  } catch (error) {
    return { outcome: 'unusable', reason: errorText(error) };
  }
  if (config.disabled === true) return { outcome: 'disabled' };
  assertNoProviderRegistered(config.meter_provider != null);
  const loggerProviderBefore = logs.getLoggerProvider();
  const sdk = loadSdkNode().startNodeSdk();
  const providers = readRegisteredProviders(loggerProviderBefore);
  const registered = Object.values(providers).some((provider) => provider !== undefined) || contextManagerRegistered();
  // startNodeSdk reports a failure to create the SDK through diag, and registers nothing then.
  if (!registered) return { outcome: 'unusable', reason: 'the SDK could not be created from it (see the error logged before)' };
  if (config.logger_provider != null && providers.loggerProvider === undefined) {
    void sdk.shutdown();
    unregisterGlobals(providers);
    throw alreadyRegistered('logger');
  }
  return { outcome: 'started', providers };
}

/**
 * The file parsed, its `${VAR}` substitutions made, and validated against the schema, by the
 * `@opentelemetry/configuration` of the installed sdk-node (the one startNodeSdk parses it with again, so
 * both accept the same `file_format` versions). Throws what it cannot read, parse or validate.
 */
function parseConfigFile(configFile: string): ConfigurationModel {
  const fromSdkNode = createRequire(require.resolve('@opentelemetry/sdk-node'));
  const configuration = fromSdkNode('@opentelemetry/configuration') as { parseConfigFile(file: string): ConfigurationModel };
  return configuration.parseConfigFile(configFile);
}

/** sdk-node, loaded only here: an application without OTEL_CONFIG_FILE never loads its exporters (gRPC among them). */
function loadSdkNode(): SdkNode {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load; the build is CommonJS
  return require('@opentelemetry/sdk-node') as SdkNode;
}
