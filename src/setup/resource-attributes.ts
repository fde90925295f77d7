import type { EnvironmentReader } from './environment';

/**
 * Checks `OTEL_RESOURCE_ATTRIBUTES` the way the resources package parses it: that package drops the whole
 * variable over one bad entry and says so only at debug level.
 */
export function checkResourceAttributes(reader: EnvironmentReader): void {
  const value = reader.value('OTEL_RESOURCE_ATTRIBUTES');
  if (value === undefined) return;
  const bad = value.split(',').find((entry) => entry.trim() !== '' && !isResourceAttribute(entry));
  if (bad !== undefined) {
    reader.invalid(
      'OTEL_RESOURCE_ATTRIBUTES',
      value,
      `key=value entries (percent-encode , and =), not ${JSON.stringify(bad.trim())}`,
      'the SDK ignores the whole variable',
    );
  }
}

function isResourceAttribute(entry: string): boolean {
  const parts = entry.split('=');
  if (parts.length !== 2 || parts[0].trim() === '') return false;
  try {
    parts.forEach((part) => decodeURIComponent(part.trim()));
    return true;
  } catch {
    return false;
  }
}
