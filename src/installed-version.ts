import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The version in the package.json of the package `name` resolves to, or `undefined` when it does not resolve:
 * found by walking up from its entry point, since most OpenTelemetry packages do not export their package.json.
 */
export function installedVersion(name: string, resolve: (name: string) => string): string | undefined {
  let entry: string;
  try {
    entry = resolve(name);
  } catch {
    return undefined;
  }
  for (let directory = dirname(entry); directory !== dirname(directory); directory = dirname(directory)) {
    const manifest = readManifest(join(directory, 'package.json'));
    if (manifest?.name === name) return typeof manifest.version === 'string' ? manifest.version : undefined;
  }
  return undefined;
}

function readManifest(path: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}
