import { diag } from '@opentelemetry/api';

/** The standard switch for recording GenAI message content. */
export const CAPTURE_MESSAGE_CONTENT_VARIABLE = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';

/**
 * What each value means for spans: the boolean form, and the newer form that also names where content goes
 * (drum-otel records it on spans only, so `EVENT_ONLY` records nothing).
 */
const CAPTURE_VALUES: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  span_only: true,
  span_and_event: true,
  event_only: false,
  no_content: false,
};

/**
 * Whether `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` asks for message content on spans. Unset or
 * empty: no. Any other value than the known ones (in any case): a `diag` warning, and no.
 */
export function readCaptureMessageContent(env: Readonly<Record<string, string | undefined>>): boolean {
  const raw = env[CAPTURE_MESSAGE_CONTENT_VARIABLE]?.trim();
  if (raw === undefined || raw === '') return false;
  const key = raw.toLowerCase();
  if (Object.prototype.hasOwnProperty.call(CAPTURE_VALUES, key)) return CAPTURE_VALUES[key];
  diag.warn(
    `drum-otel: ${CAPTURE_MESSAGE_CONTENT_VARIABLE}=${JSON.stringify(raw)} is not true, false, SPAN_ONLY, ` +
      'SPAN_AND_EVENT, EVENT_ONLY or NO_CONTENT (in any case); message content is not captured',
  );
  return false;
}
