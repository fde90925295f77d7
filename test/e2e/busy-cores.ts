import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * A busy loop that ends when its parent (the pid it is given) is no longer its parent, or after ten minutes,
 * so that a test worker that dies cannot leave it spinning.
 */
const BUSY_LOOP = `
const parent = Number(process.argv[1]);
const end = Date.now() + 600000;
while (process.ppid === parent && Date.now() < end) for (let i = 0; i < 1e7; i++);
`;

/**
 * Keeps every core busy with another process's work while the tests of the calling file run: they must pass
 * on a machine that is busy with something else, where every process starts and answers several times slower.
 */
export function keepCoresBusy(): void {
  const loops: ChildProcess[] = [];
  test.before(() => {
    for (let core = 0; core < availableParallelism(); core++) {
      loops.push(spawn(process.execPath, ['-e', BUSY_LOOP, String(process.pid)], { stdio: 'ignore' }));
    }
  });
  test.after.always(() => {
    for (const loop of loops) loop.kill('SIGKILL');
  });
}
