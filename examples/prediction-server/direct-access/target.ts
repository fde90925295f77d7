/** The direct-access route segments, as DRUM serves them (Express and @koa/router match them in any case). */
const ROUTE_SEGMENT = /^\/(?:directAccess|nim)(?=\/)/i;

/**
 * The backend URL of a direct-access request: `<origin><path after /directAccess or /nim, without its
 * trailing slash><query>`, as DRUM builds it. The path and query are taken as sent (no decoding), so
 * `%2F` and the like reach the backend unchanged.
 *
 * @param originalUrl - The request target as received (`requestTarget`), URL_PREFIX included.
 * @param urlPrefix - URL_PREFIX as the app was given it (`/drum` or empty).
 */
export function backendUrl(backend: URL, originalUrl: string, urlPrefix: string): URL {
  const queryStart = originalUrl.indexOf('?');
  const fullPath = queryStart === -1 ? originalUrl : originalUrl.slice(0, queryStart);
  const query = queryStart === -1 ? '' : originalUrl.slice(queryStart);
  const routed = fullPath.slice(urlPrefix.length).replace(ROUTE_SEGMENT, '');
  const path = routed.replace(/\/+$/, '');
  return new URL(`${backend.origin}${path === '' ? '/' : path}${query}`);
}
