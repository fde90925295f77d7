import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace';
import type { EnvironmentReader } from './environment';

/** The samplers `OTEL_TRACES_SAMPLER` names. */
export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** A sampler, as `OTEL_TRACES_SAMPLER` names it. */
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** The sampler to build: its name and, for the two ratio samplers, the ratio of root traces kept. */
export interface SamplerPlan {
  readonly name: SamplerName;
  readonly ratio: number;
}

/** The specification's default: a root span is sampled; a child follows its parent's decision. */
export const DEFAULT_SAMPLER: SamplerPlan = { name: 'parentbased_always_on', ratio: 1 };

/**
 * `OTEL_TRACES_SAMPLER` and, for `traceidratio` and `parentbased_traceidratio` only (the others take no
 * argument), `OTEL_TRACES_SAMPLER_ARG`. The SDK reads neither.
 */
export function readSampler(reader: EnvironmentReader): SamplerPlan {
  const name = reader.choice('OTEL_TRACES_SAMPLER', SAMPLER_NAMES, DEFAULT_SAMPLER.name) ?? DEFAULT_SAMPLER.name;
  if (!name.endsWith('traceidratio')) return { name, ratio: DEFAULT_SAMPLER.ratio };
  return { name, ratio: reader.ratio('OTEL_TRACES_SAMPLER_ARG', DEFAULT_SAMPLER.ratio) ?? DEFAULT_SAMPLER.ratio };
}

/** The SDK sampler `plan` names. */
export function createSampler({ name, ratio }: SamplerPlan): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}
