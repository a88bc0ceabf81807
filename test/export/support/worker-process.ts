import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { WorkerProcessConfig } from './export-worker.process';

const ROOT = join(__dirname, '..', '..', '..');

/** An export worker in a child process of its own, to be killed mid-job. */
export class WorkerProcess {
  private readonly messages: string[] = [];
  private readonly waiters: { type: string; resolve: () => void }[] = [];
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: { type: string }) => {
      this.messages.push(m.type);
      for (const w of this.waiters.filter((w) => w.type === m.type)) w.resolve();
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Starts the worker and resolves once it takes jobs. */
  static async start(config: WorkerProcessConfig): Promise<WorkerProcess> {
    const child = fork(join(__dirname, 'export-worker.process.ts'), [], {
      cwd: ROOT,
      env: {
        ...process.env,
        EXPORT_WORKER_CONFIG: JSON.stringify(config),
        TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
      },
      execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const worker = new WorkerProcess(child);
    await Promise.race([
      worker.next('ready'),
      worker.exited.then(() => {
        throw new Error('the worker process exited before it was ready');
      }),
    ]);
    return worker;
  }

  /** Resolves when the worker reports `type` (at once if it already did). */
  next(type: string): Promise<void> {
    if (this.messages.includes(type)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }

  /** SIGKILL: no cleanup, no lock release, exactly as a crash or an OOM kill. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
