import { isCredentialName } from '../headers';

/** The value the HTTP conventions write in place of a sensitive query parameter's value. */
export const REDACTED_QUERY_VALUE = 'REDACTED';

/**
 * Query parameters whose values the HTTP conventions list as sensitive (signed-URL signatures and keys),
 * lower-cased; any name that matches the credential rule of headers (`token`, `key`, ...) is redacted too.
 */
const SENSITIVE_QUERY_PARAMETERS = new Set(['awsaccesskeyid', 'signature', 'sig', 'x-goog-signature', 'x-amz-signature', 'x-amz-credential']);

/**
 * The path of a request target: what precedes `?` or `#`, and for an absolute-form target
 * (`GET http://user:password@host/path HTTP/1.1`, as clients send to proxies) without its scheme and authority.
 */
export function urlPath(target: string): string {
  const query = target.indexOf('?');
  let path = query === -1 ? target : target.slice(0, query);
  const fragment = path.indexOf('#');
  if (fragment !== -1) path = path.slice(0, fragment);
  return path.charCodeAt(0) === 47 /* / */ ? path : absoluteFormPath(path);
}

const SCHEME_AND_AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i;

function absoluteFormPath(target: string): string {
  const authority = SCHEME_AND_AUTHORITY.exec(target);
  if (authority === null) return target;
  const path = target.slice(authority[0].length);
  return path === '' ? '/' : path;
}

/**
 * The query of a request target (what follows `?`, without a fragment), with the value of every sensitive
 * parameter replaced by `REDACTED`; `undefined` when the target has no query. Everything else is kept as
 * sent, percent-encoding included.
 */
export function urlQuery(target: string): string | undefined {
  const start = target.indexOf('?');
  if (start === -1) return undefined;
  const fragment = target.indexOf('#', start);
  const query = target.slice(start + 1, fragment === -1 ? undefined : fragment);
  if (query === '') return undefined;
  return query.split('&').map(redactParameter).join('&');
}

function redactParameter(parameter: string): string {
  const equals = parameter.indexOf('=');
  if (equals === -1) return parameter;
  const name = parameter.slice(0, equals);
  return isSensitiveParameter(name) ? `${name}=${REDACTED_QUERY_VALUE}` : parameter;
}

/** Whether a query parameter (named as sent: percent-encoded, `+` for space) may carry a credential. */
export function isSensitiveParameter(encodedName: string): boolean {
  const name = decodeName(encodedName).toLowerCase();
  return SENSITIVE_QUERY_PARAMETERS.has(name) || isCredentialName(name);
}

function decodeName(name: string): string {
  if (!name.includes('%') && !name.includes('+')) return name;
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    // Malformed percent-encoding: match the name as sent.
    return name;
  }
}
