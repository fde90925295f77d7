import 'reflect-metadata';
import test from 'ava';
import { logs, trace } from '@opentelemetry/api';
import type { LoggerProvider } from '@opentelemetry/sdk-logs';
import { Get, JsonController } from 'routing-controllers';
import { instrumentControllers, NoTrace, Traced } from '../../src';
import { setupOtel } from '../../src/setup';
import { startReceiver } from '../e2e/otlp-receiver';
import { startServer } from '../helpers/server';
import { exportedLogRecords, withEnv } from '../setup/support';

// Log records written through the OpenTelemetry Logs API by the application's own code inside actions, with
// setupOtel exporting them: correlated to drum-otel's span in a traced action, to none of drum-otel's in a
// @NoTrace() one; and a burst of them that the collector cannot take neither holds requests up nor queues
// more than OTEL_BLRP_MAX_QUEUE_SIZE records.

const QUEUE_BOUND = 1000;
const BURST = 10_000;

@JsonController()
@Traced()
class ScoringController {
  @Get('/score/')
  score() {
    logs.getLogger('iris-app').emit({ body: 'scored one row', attributes: { rows: 1 } });
    return { scored: true, spanId: trace.getActiveSpan()?.spanContext().spanId };
  }

  @Get('/burst/')
  burst() {
    const logger = logs.getLogger('iris-app');
    for (let i = 0; i < BURST; i++) logger.emit({ body: `record ${i}` });
    return { emitted: BURST };
  }
}

@JsonController()
@NoTrace()
class HealthController {
  @Get('/ping/')
  ping() {
    logs.getLogger('iris-app').emit({ body: 'pinged' });
    return { pong: true };
  }
}

/** The batch processor setupOtel built, seen through the SDK's internals: its queue has no public view. */
function queuedRecords(provider: LoggerProvider): number {
  const internals = provider as unknown as { _sharedState: { processors: { _finishedLogRecords: unknown[] }[] } };
  return internals._sharedState.processors[0]._finishedLogRecords.length;
}

test.serial('a record written in a traced action carries its span ids; in a @NoTrace() action none', async (t) => {
  const receiver = await startReceiver();
  const env = { OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
  try {
    await withEnv(env, async () => {
      const otel = setupOtel({ logLevel: 'none', serviceName: 'iris-logs' });
      const server = await startServer({ controllers: instrumentControllers([ScoringController, HealthController]) });
      try {
        const scored = (await (await fetch(`${server.url}/score/`)).json()) as { spanId: string };
        t.deepEqual(await (await fetch(`${server.url}/ping/`)).json(), { pong: true });
        await otel.shutdown();
        const records = exportedLogRecords(receiver);
        t.deepEqual(
          records.map((record) => [record.body, record.scope, record.spanId, record.resource['service.name']]),
          [
            ['scored one row', 'iris-app', scored.spanId, 'iris-logs'],
            ['pinged', 'iris-app', '', 'iris-logs'],
          ],
        );
        t.is(records[0].traceId.length, 32);
        t.deepEqual(records[0].attributes, { rows: 1 });
      } finally {
        await server.close();
      }
    });
  } finally {
    await receiver.close();
  }
});

test.serial(`${BURST} records in a burst against a collector that never answers: requests answered, the queue bounded`, async (t) => {
  const receiver = await startReceiver('hang');
  const env = {
    OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BLRP_MAX_QUEUE_SIZE: String(QUEUE_BOUND),
    OTEL_BLRP_SCHEDULE_DELAY: '10',
  };
  try {
    await withEnv(env, async () => {
      const otel = setupOtel({ logLevel: 'none', shutdownTimeoutMillis: 500 });
      const server = await startServer({ controllers: instrumentControllers([ScoringController, HealthController]) });
      try {
        t.deepEqual(await (await fetch(`${server.url}/burst/`)).json(), { emitted: BURST });
        t.true(queuedRecords(otel.loggerProvider as LoggerProvider) <= QUEUE_BOUND);
        // The first batch is still waiting for the collector: requests go on being answered meanwhile.
        const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${server.url}/ping/`).then((response) => response.status)));
        t.deepEqual(answers, Array<number>(20).fill(200));
        t.true(queuedRecords(otel.loggerProvider as LoggerProvider) <= QUEUE_BOUND);
        t.true(receiver.exports.length <= 1, 'the collector holds at most the first batch');
      } finally {
        await server.close();
        await otel.shutdown();
      }
    });
  } finally {
    await receiver.close();
  }
});
