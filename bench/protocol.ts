/** The IPC messages between the bench parent and a server process (JSON over the fork channel). */

/** Parent to server. */
export type Command =
  | { readonly type: 'start' }
  | { readonly type: 'stop' }
  | { readonly type: 'memory' }
  | { readonly type: 'exit' };

/** What a server measured over one window, from `start` to `stop`. */
export interface WindowUsage {
  /** User + system CPU of the whole server process, in microseconds. */
  readonly cpuMicros: number;
  /** Requests the server received (its `request` events). */
  readonly requests: number;
  /** Spans that reached the exporter; `null` when the configuration has no SDK. */
  readonly spans: number | null;
  /**
   * Bytes the server allocated on V8's heap over the window (`v8.getHeapStatistics().total_allocated_bytes`):
   * unlike CPU time, the same whatever else runs on the machine, and what the garbage collector pays for.
   */
  readonly allocatedBytes: number;
  /** The window's bounds on the server's monotonic clock (microseconds, the clock of --cpu-prof samples). */
  readonly startedAtUs: number;
  readonly stoppedAtUs: number;
}

/** The server's memory after a full garbage collection. */
export interface MemorySample {
  readonly heapUsed: number;
  readonly rss: number;
  readonly external: number;
  /** Handles and requests libuv keeps alive: sockets, timers... (no growth expected between samples). */
  readonly activeHandles: number;
  /** Requests received since the server started. */
  readonly requests: number;
  readonly spans: number | null;
}

/** Server to parent. */
export type Reply =
  | { readonly type: 'ready'; readonly port: number; readonly routes: readonly string[]; readonly notes: readonly string[] }
  | { readonly type: 'started' }
  | ({ readonly type: 'stopped' } & WindowUsage)
  | ({ readonly type: 'memory' } & MemorySample)
  | { readonly type: 'failed'; readonly message: string };
