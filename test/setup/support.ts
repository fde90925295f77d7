import { trace } from '@opentelemetry/api';
import type { Environment } from '../../src/setup/environment';
import { setupOtel } from '../../src/setup/setup-otel';
import { startReceiver, type OtlpReceiver } from '../e2e/otlp-receiver';

/** Sets variables of `process.env` for the duration of `run` (`undefined` unsets), restoring them after. */
export async function withEnv<T>(variables: Environment, run: () => T | Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  const assign = (values: Environment) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  assign(variables);
  try {
    return await run();
  } finally {
    assign(saved);
  }
}

/** Whether a span started through the global API now records (a real provider is registered). */
export function globalTracingRecords(): boolean {
  const span = trace.getTracer('probe').startSpan('probe');
  const recording = span.isRecording();
  span.end();
  return recording;
}

/**
 * Runs setupOtel with the variables `variables` gives for a fresh loopback receiver, runs `during`, shuts
 * down (exporting what is left) and closes the receiver, which keeps what it got.
 */
export async function exportingTo(
  variables: (receiver: OtlpReceiver) => Environment,
  during: (receiver: OtlpReceiver) => Promise<void> | void,
): Promise<OtlpReceiver> {
  const receiver = await startReceiver();
  try {
    await withEnv(variables(receiver), async () => {
      const otel = setupOtel({ logLevel: 'none' });
      await during(receiver);
      await otel.shutdown();
    });
  } finally {
    await receiver.close();
  }
  return receiver;
}
