import { definedEntries, type EnvironmentReader } from './environment';

/** How a batch processor (of spans or of log records) exports: only what a variable set. */
export interface BatchOptions {
  readonly scheduledDelayMillis?: number;
  readonly exportTimeoutMillis?: number;
  readonly maxQueueSize?: number;
  readonly maxExportBatchSize?: number;
}

/** The prefix of a batch processor's variables: spans (`OTEL_BSP_*`) or log records (`OTEL_BLRP_*`). */
export type BatchPrefix = 'OTEL_BSP' | 'OTEL_BLRP';

/** The specification's defaults, which the SDK's processors share but for the log records' shorter delay. */
const DEFAULTS: Readonly<Record<BatchPrefix, Required<BatchOptions>>> = {
  OTEL_BSP: { scheduledDelayMillis: 5000, exportTimeoutMillis: 30_000, maxQueueSize: 2048, maxExportBatchSize: 512 },
  OTEL_BLRP: { scheduledDelayMillis: 1000, exportTimeoutMillis: 30_000, maxQueueSize: 2048, maxExportBatchSize: 512 },
};

/**
 * `<prefix>_SCHEDULE_DELAY`, `<prefix>_EXPORT_TIMEOUT`, `<prefix>_MAX_QUEUE_SIZE` and
 * `<prefix>_MAX_EXPORT_BATCH_SIZE`, which the SDK's batch processors no longer read themselves. A batch size
 * above the queue size is cut to it by the processor, which warns.
 */
export function readBatchOptions(reader: EnvironmentReader, prefix: BatchPrefix): BatchOptions {
  const defaults = DEFAULTS[prefix];
  return definedEntries({
    scheduledDelayMillis: reader.milliseconds(`${prefix}_SCHEDULE_DELAY`, defaults.scheduledDelayMillis),
    exportTimeoutMillis: reader.milliseconds(`${prefix}_EXPORT_TIMEOUT`, defaults.exportTimeoutMillis),
    maxQueueSize: reader.wholeNumber(`${prefix}_MAX_QUEUE_SIZE`, 1, defaults.maxQueueSize),
    maxExportBatchSize: reader.wholeNumber(`${prefix}_MAX_EXPORT_BATCH_SIZE`, 1, defaults.maxExportBatchSize),
  });
}
