import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/** A delivery worker in a child process, to be killed mid-batch. */
export class DispatcherProcess {
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Starts the worker and resolves once it delivers. */
  static async start(databaseUrl: string, instanceId: string): Promise<DispatcherProcess> {
    const child = fork(join(__dirname, 'dispatcher.process.ts'), [], {
      cwd: ROOT,
      env: {
        ...process.env,
        DISPATCHER_CONFIG: JSON.stringify({ databaseUrl, instanceId }),
        TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
      },
      execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const worker = new DispatcherProcess(child);
    await Promise.race([
      new Promise<void>((resolve) =>
        child.on('message', (m: { type: string }) => m.type === 'ready' && resolve()),
      ),
      worker.exited.then(() => {
        throw new Error('the dispatcher process exited before it was ready');
      }),
    ]);
    return worker;
  }

  /** SIGKILL: no cleanup, no lease released, exactly as a crash or an OOM kill. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
