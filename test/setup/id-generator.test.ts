import test from 'ava';
import { PooledIdGenerator } from '../../src/setup/id-generator';
import { setupOtel } from '../../src/setup/setup-otel';

const POOL_BYTES = 4096;

/** A random source that writes the bytes 0, 1, 2, ... (mod 256) across its draws, and counts them. */
function countingSource(): { fill: (buffer: Buffer) => void; draws: () => number } {
  let byte = 0;
  let draws = 0;
  return {
    fill: (buffer) => {
      draws++;
      for (let i = 0; i < buffer.length; i++) buffer[i] = byte++ % 256;
    },
    draws: () => draws,
  };
}

/** The hex of the bytes `from`, `from + 1`, ... (mod 256), `count` of them. */
function hexOfRun(from: number, count: number): string {
  return Buffer.from(Array.from({ length: count }, (_, i) => (from + i) % 256)).toString('hex');
}

test('trace ids are 16 bytes and span ids 8 of the random source, in order, as lowercase hex', (t) => {
  const source = countingSource();
  const ids = new PooledIdGenerator(source.fill);
  t.is(ids.generateTraceId(), hexOfRun(0, 16));
  t.is(ids.generateSpanId(), hexOfRun(16, 8));
  t.is(ids.generateTraceId(), hexOfRun(24, 16));
  t.is(source.draws(), 1);
});

test('an id that does not fit in what is left of the pool comes whole from the next draw', (t) => {
  const source = countingSource();
  const ids = new PooledIdGenerator(source.fill);
  // 255 trace ids and one span id leave 8 bytes of the first draw: too few for a trace id.
  for (let i = 0; i < 255; i++) ids.generateTraceId();
  t.is(ids.generateSpanId(), hexOfRun(255 * 16, 8));
  t.is(source.draws(), 1);
  t.is(ids.generateTraceId(), hexOfRun(POOL_BYTES, 16));
  t.is(source.draws(), 2);
});

test('an all-zero id, which W3C trace context forbids, is skipped', (t) => {
  let draws = 0;
  const ids = new PooledIdGenerator((buffer) => buffer.fill(draws++ === 0 ? 0 : 0xab));
  t.is(ids.generateTraceId(), 'ab'.repeat(16));
  t.is(draws, 2);
  t.is(ids.generateSpanId(), 'ab'.repeat(8));
});

test('from the default random source: valid, distinct ids across many draws', (t) => {
  const ids = new PooledIdGenerator();
  const traceIds = new Set<string>();
  const spanIds = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    traceIds.add(ids.generateTraceId());
    spanIds.add(ids.generateSpanId());
  }
  t.is(traceIds.size, 2000);
  t.is(spanIds.size, 2000);
  t.true([...traceIds].every((id) => /^[0-9a-f]{32}$/.test(id) && !/^0+$/.test(id)));
  t.true([...spanIds].every((id) => /^[0-9a-f]{16}$/.test(id) && !/^0+$/.test(id)));
});

test.serial("setupOtel's tracer provider makes its ids with it", async (t) => {
  const otel = setupOtel({ logLevel: 'none' });
  try {
    const tracer = otel.tracerProvider!.getTracer('ids') as unknown as { _idGenerator: unknown };
    t.true(tracer._idGenerator instanceof PooledIdGenerator);
  } finally {
    await otel.shutdown();
  }
});
