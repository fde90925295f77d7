import type { SetupOtelOptions } from './types';

/**
 * A setup from the declarative configuration file `OTEL_CONFIG_FILE` names: the file is the whole
 * configuration, so no other variable is read (but inside the file, as `${VAR}` substitutions).
 */
export interface ConfigFilePlan {
  readonly enabled: true;
  /** The file, as `OTEL_CONFIG_FILE` names it. */
  readonly configFile: string;
  readonly shutdownTimeoutMillis: number;
  /** What was wrong in the variables read before `OTEL_CONFIG_FILE` (the disabling ones). */
  readonly warnings: readonly string[];
}

/** The options that configure what the file configures: given with `OTEL_CONFIG_FILE`, two sources would compete. */
export const FILE_CONFIGURED_OPTIONS = [
  'exporter',
  'spanProcessor',
  'processor',
  'metricReader',
  'logRecordProcessor',
  'propagators',
  'serviceName',
  'resourceAttributes',
  'logLevel',
] as const satisfies readonly (keyof SetupOtelOptions)[];

/**
 * The plan of a setup from `configFile`. Throws an Error naming the first option that the file would
 * configure: which of the two wins would be a guess, and an option in code is a programming decision that
 * must not be dropped silently.
 */
export function planConfigFile(
  configFile: string,
  options: SetupOtelOptions,
  shutdownTimeoutMillis: number,
  warnings: readonly string[],
): ConfigFilePlan {
  const conflicting = FILE_CONFIGURED_OPTIONS.find((option) => options[option] !== undefined);
  if (conflicting !== undefined) {
    throw new Error(
      `setupOtel: option ${conflicting} cannot be combined with OTEL_CONFIG_FILE=${JSON.stringify(configFile)}, ` +
        'which configures the SDK; set it in that file, or unset OTEL_CONFIG_FILE',
    );
  }
  return { enabled: true, configFile, shutdownTimeoutMillis, warnings };
}
