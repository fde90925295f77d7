import type { Attributes } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_HEADER } from '@opentelemetry/semantic-conventions';
import { describeValue } from './describe';
import type { RequestHeaders } from './types';

/**
 * Attribute for the `X-DataRobot-Consumer-Id` request header, as DataRobot DRUM names it.
 *
 * @category Attributes
 */
export const ATTR_GEN_AI_REQUEST_CONSUMER_ID = 'gen_ai.request.consumer_id';

/**
 * Attribute for the `X-DataRobot-Consumer-Type` request header, as DataRobot DRUM names it.
 *
 * @category Attributes
 */
export const ATTR_GEN_AI_REQUEST_CONSUMER_TYPE = 'gen_ai.request.consumer_type';

/**
 * The value recorded in place of a captured header that may carry a credential.
 *
 * @category Attributes
 */
export const REDACTED = '[REDACTED]';

const IDENTITY_HEADERS: readonly (readonly [header: string, attribute: string])[] = [
  ['x-datarobot-consumer-id', ATTR_GEN_AI_REQUEST_CONSUMER_ID],
  ['x-datarobot-consumer-type', ATTR_GEN_AI_REQUEST_CONSUMER_TYPE],
];

const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'set-cookie', 'proxy-authorization', 'x-api-key']);
const CREDENTIAL_WORDS = /token|secret|password|key/;
// RFC 9110 token characters: what a header name may consist of.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;

type HeaderLookup = (headers: RequestHeaders, lowerCaseName: string) => unknown;

/**
 * The attributes DataRobot DRUM takes from a request's headers: `X-DataRobot-Consumer-Id` as
 * `gen_ai.request.consumer_id` and `X-DataRobot-Consumer-Type` as `gen_ai.request.consumer_type`, each only
 * when present and non-empty. Names match in any case; a repeated header's values are joined with `, `.
 * Anything that is not a header record yields no attributes.
 *
 * @param headers - Node's `IncomingHttpHeaders`, or a plain record with names in any case.
 * @category Attributes
 * @example
 * ```ts
 * import { extractRequestHeaders } from 'drum-otel';
 *
 * const attributes = extractRequestHeaders({ 'X-DataRobot-Consumer-Id': 'user-42' });
 * // { 'gen_ai.request.consumer_id': 'user-42' }
 * console.log(attributes);
 * ```
 */
export function extractRequestHeaders(headers: RequestHeaders): Attributes {
  return addIdentityAttributes(headers, anyCaseHeader, {});
}

/**
 * Adds what {@link extractRequestHeaders} would return to `attributes`, for headers known to have lower-case
 * names as Node's `req.headers` has: the per-request default, which never scans the header names.
 */
export function addLowerCaseIdentityAttributes(headers: RequestHeaders, attributes: Attributes): Attributes {
  return addIdentityAttributes(headers, lowerCaseHeader, attributes);
}

function addIdentityAttributes(headers: RequestHeaders, lookup: HeaderLookup, attributes: Attributes): Attributes {
  if (headers === null || typeof headers !== 'object') return attributes;
  for (const [header, attribute] of IDENTITY_HEADERS) {
    const value = headerText(lookup(headers, header));
    if (value !== undefined) attributes[attribute] = value;
  }
  return attributes;
}

function lowerCaseHeader(headers: RequestHeaders, lowerCaseName: string): unknown {
  return headers[lowerCaseName];
}

function anyCaseHeader(headers: RequestHeaders, lowerCaseName: string): unknown {
  const exact = headers[lowerCaseName];
  if (exact !== undefined) return exact;
  for (const name of Object.keys(headers)) {
    if (name.length === lowerCaseName.length && name.toLowerCase() === lowerCaseName) return headers[name];
  }
  return undefined;
}

/** A header value as one non-empty string, or `undefined`. */
function headerText(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) {
    const joined = value.filter((item) => typeof item === 'string' && item !== '').join(', ');
    return joined === '' ? undefined : joined;
  }
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Whether `name` is a valid HTTP header name (an RFC 9110 token). */
export function isHeaderName(name: unknown): name is string {
  return typeof name === 'string' && HEADER_NAME.test(name);
}

/**
 * Whether a header may carry a credential and must never be copied into telemetry.
 *
 * @category Attributes
 */
export function isCredentialHeader(name: string): boolean {
  return isCredentialName(name.toLowerCase());
}

/**
 * The credential rule for a lower-case name, shared by headers and query parameters: one of the credential
 * headers, or any name containing `token`, `secret`, `password` or `key`.
 */
export function isCredentialName(lowerCaseName: string): boolean {
  return CREDENTIAL_HEADERS.has(lowerCaseName) || CREDENTIAL_WORDS.test(lowerCaseName);
}

/** One header of `captureRequestHeaders`, prepared once at instrumentation time. */
export interface HeaderCapture {
  readonly header: string;
  readonly attribute: string;
  readonly redacted: boolean;
}

/**
 * Validates the `captureRequestHeaders` option and prepares each name once.
 *
 * @throws Error naming the option and the offending value when it is not an array of header names.
 */
export function prepareHeaderCaptures(names: readonly string[] | undefined): readonly HeaderCapture[] {
  if (names === undefined) return [];
  if (!Array.isArray(names)) {
    throw new Error(`instrumentControllers: captureRequestHeaders must be an array of header names, got ${describeValue(names)}`);
  }
  const captures = new Map<string, HeaderCapture>();
  for (const name of names) {
    if (!isHeaderName(name)) {
      throw new Error(`instrumentControllers: captureRequestHeaders has an invalid header name ${JSON.stringify(name)}`);
    }
    const header = name.toLowerCase();
    captures.set(header, { header, attribute: ATTR_HTTP_REQUEST_HEADER(header), redacted: isCredentialHeader(header) });
  }
  return [...captures.values()];
}

/** Adds the captured headers present in Node's lower-case `headers` to `attributes`. */
export function captureRequestHeaders(
  headers: RequestHeaders,
  captures: readonly HeaderCapture[],
  attributes: Attributes,
): void {
  for (const { header, attribute, redacted } of captures) {
    const value = headers[header];
    if (value === undefined) continue;
    if (redacted) attributes[attribute] = [REDACTED];
    else attributes[attribute] = Array.isArray(value) ? value.map(String) : [String(value)];
  }
}
