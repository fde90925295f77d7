/** The parent's handle on one server process: start it, open and close measured windows, stop it. */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ConfigName } from './configs';
import { forkNode, SERVER_CORE } from './pinning';
import type { Command, MemorySample, Reply, WindowUsage } from './protocol';

const SERVER_SCRIPT = join(__dirname, 'server.js');
/** How long a server may take to answer, and to exit once asked to, before it is given up on or killed. */
interface Timeouts {
  readonly replyMs: number;
  readonly exitMs: number;
}

const TIMEOUTS: Timeouts = { replyMs: 60_000, exitMs: 10_000 };
/** Under valgrind a server starts, flushes and exits tens of times slower. */
const LAUNCHED_TIMEOUTS: Timeouts = { replyMs: 600_000, exitMs: 600_000 };

export interface ServerStartOptions {
  readonly config: ConfigName;
  readonly node: string;
  readonly execArgv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Runs the server's node through this command (valgrind for instruction counts). */
  readonly launcher?: readonly string[];
  /** Pinned to the server core (the default): off where several servers run at once. */
  readonly pinned?: boolean;
  /** The server's working directory (where V8 writes its logs). */
  readonly cwd?: string;
}

export class ServerProcess {
  private constructor(
    readonly config: ConfigName,
    private readonly child: ChildProcess,
    private readonly timeouts: Timeouts,
    readonly port: number,
    readonly routes: readonly string[],
    readonly notes: readonly string[],
  ) {}

  /** Forks the server pinned to the server core and waits until it listens. */
  static async start(options: ServerStartOptions): Promise<ServerProcess> {
    const child = forkNode(SERVER_SCRIPT, [options.config], {
      node: options.node,
      core: options.pinned === false ? undefined : SERVER_CORE,
      execArgv: options.execArgv,
      env: options.env,
      launcher: options.launcher,
      cwd: options.cwd,
    });
    const timeouts = options.launcher === undefined ? TIMEOUTS : LAUNCHED_TIMEOUTS;
    const ready = await nextReply(child, 'ready', timeouts.replyMs);
    return new ServerProcess(options.config, child, timeouts, ready.port, ready.routes, ready.notes);
  }

  /** The server's process id (a launcher such as taskset or valgrind keeps it). */
  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Resets the server's CPU and request counters: a measured window begins. */
  async startWindow(): Promise<void> {
    await this.ask({ type: 'start' }, 'started');
  }

  /** Ends the window; the server answers with what it used since `startWindow`. */
  async stopWindow(): Promise<WindowUsage> {
    const { type: _type, ...usage } = await this.ask({ type: 'stop' }, 'stopped');
    return usage;
  }

  async memory(): Promise<MemorySample> {
    const { type: _type, ...sample } = await this.ask({ type: 'memory' }, 'memory');
    return sample;
  }

  /** Asks the server to exit and waits until it has (a --cpu-prof profile is written by then). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'exit' } satisfies Command);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), this.timeouts.exitMs);
    await exited;
    clearTimeout(timer);
  }

  private async ask<T extends Reply['type']>(command: Command, expected: T): Promise<Extract<Reply, { type: T }>> {
    const reply = nextReply(this.child, expected, this.timeouts.replyMs);
    this.child.send(command);
    return reply;
  }
}

/** The next message of the child, which must be of type `expected`; rejects when the child dies first. */
function nextReply<T extends Reply['type']>(child: ChildProcess, expected: T, timeoutMs: number): Promise<Extract<Reply, { type: T }>> {
  return new Promise((resolve, reject) => {
    const cleanUp = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: Reply): void => {
      cleanUp();
      if (message.type === expected) resolve(message as Extract<Reply, { type: T }>);
      else if (message.type === 'failed') reject(new Error(`server: ${message.message}`));
      else reject(new Error(`server answered ${message.type}, expected ${expected}`));
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanUp();
      reject(new Error(`server exited (code ${code}, signal ${signal}) before answering ${expected}`));
    };
    const timer = setTimeout(() => {
      cleanUp();
      reject(new Error(`server did not answer ${expected} within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
