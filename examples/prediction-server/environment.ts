/** The environment as the example servers read it: `process.env` or a record a test makes. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A start-up error naming the variable and its value. */
export function invalid(variable: string, value: string, expected: string): Error {
  return new Error(`${variable}=${JSON.stringify(value)} is invalid; expected ${expected}`);
}

/** The trimmed value of `variable`, or `undefined` when unset or blank. */
export function value(env: Environment, variable: string): string | undefined {
  const raw = env[variable]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

/** A DRUM runtime parameter, `{"type": ..., "payload": ...}`: its type and payload (both absent when not JSON). */
export function runtimeParameter(raw: string): { readonly type?: unknown; readonly payload?: unknown } {
  try {
    const parameter: unknown = JSON.parse(raw);
    return typeof parameter === 'object' && parameter !== null ? parameter : {};
  } catch {
    return {};
  }
}
