import { setTimeout as delay } from 'node:timers/promises';

/** Why a generation stopped: all tokens out (`stop`), `max_tokens` reached (`length`), or the client left. */
export type GenerationEnd = 'stop' | 'length' | 'aborted';

export interface Generation {
  /** The tokens handed to `onToken`, in order. */
  readonly tokens: readonly string[];
  readonly end: GenerationEnd;
}

export interface GenerationSettings {
  /** Most tokens to produce (`max_tokens`); `undefined`: no limit. */
  readonly limit: number | undefined;
  /** Milliseconds before each token, so that streaming is real. */
  readonly delayMs: number;
  /** Aborted when the client leaves: the wait for the next token ends at once, and no token follows. */
  readonly signal: AbortSignal;
}

/** Produces the answer's tokens one by one, each after `delayMs`, until done, cut by the limit, or aborted. */
export async function generate(
  answer: readonly string[],
  settings: GenerationSettings,
  onToken: (token: string) => void,
): Promise<Generation> {
  const count = settings.limit === undefined ? answer.length : Math.min(answer.length, settings.limit);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    try {
      await delay(settings.delayMs, undefined, { signal: settings.signal });
    } catch {
      // The only rejection is the abort.
      return { tokens, end: 'aborted' };
    }
    // A close seen between the timer and this continuation: still no token after the abort.
    if (settings.signal.aborted) return { tokens, end: 'aborted' };
    tokens.push(answer[i]);
    onToken(answer[i]);
  }
  return { tokens, end: count < answer.length ? 'length' : 'stop' };
}
