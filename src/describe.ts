/** A value as an error message shows it. Never throws: a null-prototype object has no `toString`. */
export function describeValue(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
