import test from 'ava';
import { readCaptureMessageContent } from '../../src/genai/content';
import { captureDiag } from '../helpers/tracing';

const records = captureDiag();
const VARIABLE = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';

test.beforeEach(() => {
  records.length = 0;
});

const cases: readonly (readonly [string | undefined, boolean])[] = [
  [undefined, false],
  ['', false],
  ['   ', false],
  ['true', true],
  ['TRUE', true],
  [' True ', true],
  ['false', false],
  ['FALSE', false],
  ['SPAN_ONLY', true],
  ['span_and_event', true],
  ['EVENT_ONLY', false],
  ['NO_CONTENT', false],
];

for (const [value, expected] of cases) {
  test.serial(`${JSON.stringify(value)} → ${expected}, no warning`, (t) => {
    t.is(readCaptureMessageContent({ [VARIABLE]: value }), expected);
    t.deepEqual(records, []);
  });
}

for (const value of ['1', 'yes', 'on', 'constructor', 'truee', '__proto__']) {
  test.serial(`${JSON.stringify(value)} → a warning naming the variable and value, and the default (off)`, (t) => {
    t.false(readCaptureMessageContent({ [VARIABLE]: value }));
    t.deepEqual(
      records.map((record) => [record.level, record.message]),
      [
        [
          'warn',
          `drum-otel: ${VARIABLE}=${JSON.stringify(value)} is not true, false, SPAN_ONLY, SPAN_AND_EVENT, EVENT_ONLY or ` +
            'NO_CONTENT (in any case); message content is not captured',
        ],
      ],
    );
  });
}
