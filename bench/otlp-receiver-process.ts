/** Starts and stops bench/receiver.js, the loopback OTLP receiver, from the parent. */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { forkNode, LOAD_CORE } from './pinning';
import type { ReceiverMessage } from './receiver';

export interface RunningReceiver {
  readonly url: string;
  stop(): Promise<void>;
}

/** The receiver shares the load generator's core: its work must not be counted as, or steal from, the server's. */
export async function startReceiver(): Promise<RunningReceiver> {
  const child: ChildProcess = forkNode(join(__dirname, 'receiver.js'), [], { node: process.execPath, core: LOAD_CORE });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: ReceiverMessage) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`OTLP receiver exited with code ${code} before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}
