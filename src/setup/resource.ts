import type { Attributes } from '@opentelemetry/api';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  resourceFromAttributes,
  type Resource,
} from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/** `service.name` when neither `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` nor an option names one. */
export const DEFAULT_SERVICE_NAME = 'drum';

/**
 * The resource of every span: the SDK defaults, `service.name` `drum`, the process and host, then
 * `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_SERVICE_NAME` (read from `process.env` by the resources package's env
 * detector), then the options.
 */
export function createResource(serviceName: string | undefined, attributes: Attributes): Resource {
  const overrides = serviceName === undefined ? attributes : { ...attributes, [ATTR_SERVICE_NAME]: serviceName };
  return defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: DEFAULT_SERVICE_NAME }))
    .merge(detectResources({ detectors: [processDetector, hostDetector, envDetector] }))
    .merge(resourceFromAttributes(overrides));
}

