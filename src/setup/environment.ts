/** The environment as setupOtel reads it: `process.env` or a record a test makes. */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads variables by the rules of the OpenTelemetry configuration specification: a blank value is unset, and a
 * value that cannot be used is noted as a warning while the default is taken, so that a typo in the
 * environment never stops a server from starting. Pure: setupOtel logs {@link warnings} once its logger is
 * installed.
 */
export class EnvironmentReader {
  /** One line per unusable value, each said once, in the order they were read. */
  readonly warnings: string[] = [];

  constructor(private readonly env: Environment) {}

  /** The trimmed value, or `undefined` when unset or blank. */
  value(variable: string): string | undefined {
    const value = this.env[variable]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  /** A boolean: `true` in any case is true; unset, blank and `false` are false; anything else is false, warned. */
  boolean(variable: string): boolean {
    const value = this.value(variable);
    if (value === undefined || value.toLowerCase() === 'false') return false;
    if (value.toLowerCase() === 'true') return true;
    this.invalid(variable, value, 'true or false', 'using false');
    return false;
  }

  /**
   * A boolean DRUM runtime parameter, `{"type":"boolean","payload":true}`: its payload, or `undefined` when
   * unset or malformed (warned).
   */
  runtimeParameterBoolean(variable: string): boolean | undefined {
    const value = this.value(variable);
    if (value === undefined) return undefined;
    const { type, payload } = parsedObject(value);
    if (type === 'boolean' && typeof payload === 'boolean') return payload;
    this.invalid(variable, value, 'JSON such as {"type":"boolean","payload":true}', 'ignored');
    return undefined;
  }

  /** A whole number of milliseconds above 0, or `undefined` when unset or invalid (warned: `fallback`). */
  milliseconds(variable: string, fallback: number): number | undefined {
    return this.number(variable, (value) => wholeNumberOf(value, 1), 'a whole number of milliseconds above 0', `using ${fallback}`);
  }

  /**
   * A whole number of at least `minimum`, or `undefined` when unset or invalid (warned: `fallback`, where
   * `undefined` means no limit).
   */
  wholeNumber(variable: string, minimum: 0 | 1, fallback: number | undefined): number | undefined {
    const expected = minimum === 0 ? 'a whole number' : 'a whole number above 0';
    const instead = fallback === undefined ? 'using no limit' : `using ${fallback}`;
    return this.number(variable, (value) => wholeNumberOf(value, minimum), expected, instead);
  }

  /** A number from 0 to 1, or `undefined` when unset or invalid (warned: `fallback`). */
  ratio(variable: string, fallback: number): number | undefined {
    return this.number(variable, ratioOf, 'a number from 0 to 1', `using ${fallback}`);
  }

  /** The number `parse` makes of the value, or `undefined` when unset or refused (warned: `instead`). */
  private number(variable: string, parse: (value: string) => number | undefined, expected: string, instead: string): number | undefined {
    const value = this.value(variable);
    if (value === undefined) return undefined;
    const parsed = parse(value);
    if (parsed === undefined) this.invalid(variable, value, expected, instead);
    return parsed;
  }

  /**
   * One of `choices` (in any case), or `undefined` when unset or not one of them (warned: `fallback`, with
   * `note` after the expected values).
   */
  choice<T extends string>(variable: string, choices: readonly T[], fallback: T, note = ''): T | undefined {
    const value = this.value(variable);
    if (value === undefined) return undefined;
    const choice = choices.find((known) => known === value.toLowerCase());
    if (choice === undefined) this.invalid(variable, value, `${alternatives(choices)}${note}`, `using ${fallback}`);
    return choice;
  }

  /**
   * A comma-separated list of `known` names (in any case), or `undefined` when unset. Unknown names are warned
   * about and skipped, but when no name is known and `fallback` is given the setting is ignored: `fallback`
   * (warned as used). `none` means the empty list, and wins (warned) when other names come with it.
   */
  names<T extends string>(variable: string, known: readonly T[], fallback?: readonly T[]): T[] | undefined {
    const value = this.value(variable);
    if (value === undefined) return undefined;
    const given = [...new Set(value.toLowerCase().split(',').map((name) => name.trim()))].filter((name) => name !== '');
    if (given.includes('none')) {
      if (given.length > 1) this.warn(`${setting(variable, value)} combines none with other names; using none`);
      return [];
    }
    const isKnown = (name: string): name is T => (known as readonly string[]).includes(name);
    const useFallback = fallback !== undefined && !given.some(isKnown);
    const instead = useFallback ? `using ${fallback.join(',')}` : 'skipped';
    for (const name of given.filter((name) => !isKnown(name))) {
      const expected = [...known, 'none'].join(', ');
      this.warn(`${setting(variable, value)} names ${JSON.stringify(name)}, not one of ${expected}; ${instead}`);
    }
    return useFallback ? [...fallback] : given.filter(isKnown);
  }

  /** Notes that `variable` holds `value`, not what was `expected`, and what happens instead. */
  invalid(variable: string, value: string, expected: string, instead: string): void {
    this.warn(`${setting(variable, value)} is invalid; expected ${expected}; ${instead}`);
  }

  private warn(message: string): void {
    const line = `setupOtel: ${message}`;
    if (!this.warnings.includes(line)) this.warnings.push(line);
  }
}

/** `value` as a whole number of at least `minimum`, or `undefined`. */
function wholeNumberOf(value: string, minimum: number): number | undefined {
  return /^\d+$/.test(value) && Number(value) >= minimum && Number.isSafeInteger(Number(value)) ? Number(value) : undefined;
}

/** `value` as a number from 0 to 1, or `undefined`. */
function ratioOf(value: string): number | undefined {
  return /^[\d.e+-]+$/i.test(value) && Number(value) >= 0 && Number(value) <= 1 ? Number(value) : undefined;
}

/**
 * `entries` without the ones that are `undefined`: what an SDK options object gets, so that its own defaults
 * apply to whatever no variable set.
 */
export function definedEntries<T extends object>(entries: T): T {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as T;
}

/** `a or b`, or `one of a, b, c`. */
function alternatives(choices: readonly string[]): string {
  return choices.length === 2 ? choices.join(' or ') : `one of ${choices.join(', ')}`;
}

function setting(variable: string, value: string): string {
  return `${variable}=${JSON.stringify(value)}`;
}

/** The JSON object `text` holds, or `{}`. */
function parsedObject(text: string): { readonly type?: unknown; readonly payload?: unknown } {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}
