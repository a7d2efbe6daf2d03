import { spawn, type ChildProcess } from 'node:child_process';

// Servers a benchmark started; killed on the way out, whatever happens.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** `node args…` with JSON warnings on stderr, killed when the benchmark exits. */
export function spawnNode(args: string[], extraEnv: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...extraEnv }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after 5 s. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}
