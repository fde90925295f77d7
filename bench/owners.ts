/** Which library or package a piece of code belongs to, for the breakdowns of the profiles. */

/** The owner of code from `url` (a script's path or `node:` URL); `dist/` of this package is drum-otel itself. */
export function ownerOf(url: string): string {
  if (url === '') return 'vm/native';
  if (/\/dist\/.+\.js$/.test(url) && !url.includes('node_modules')) return 'drum-otel (dist)';
  const scoped = /node_modules\/(@[^/]+\/[^/]+|[^/@][^/]*)\//g;
  let last: string | undefined;
  for (let match = scoped.exec(url); match !== null; match = scoped.exec(url)) last = match[1];
  if (last !== undefined) return last.startsWith('@opentelemetry/') ? '@opentelemetry' : last;
  if (url.startsWith('node:')) return 'node core';
  if (url.includes('/build/bench/')) return 'bench app';
  if (url.includes('/build/examples/')) return 'example app';
  return url;
}
