// What the agent process does so that nothing typed in a remote shell (which
// runs as the same user) can open a debugger on it (issue 4). Node opens the
// inspector when it receives SIGUSR1, unless a listener is installed: a
// shell that could `kill -USR1 <agent>` would otherwise get a debugging port
// on 127.0.0.1 and with it the consent engine. The agent entry point calls
// guardAgentProcess() first thing.

/** Why the agent process could still be debugged, as sentences for the log (empty when none). */
export function inspectorExposure(
  execArgv: readonly string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const found: string[] = [];
  for (const arg of execArgv)
    if (/^--(inspect|debug)/.test(arg)) found.push(`started with ${arg.split('=')[0]}`);
  if (/--(inspect|debug)/.test(env['NODE_OPTIONS'] ?? ''))
    found.push('NODE_OPTIONS asks for the inspector');
  if (env['ELECTRON_RUN_AS_NODE']) found.push('ELECTRON_RUN_AS_NODE is set');
  return found;
}

let guarded = false;

/** Makes SIGUSR1 a no-op for this process (no inspector on signal); idempotent. */
export function guardAgentProcess(): void {
  if (guarded) return;
  guarded = true;
  process.on('SIGUSR1', () => {
    // Deliberately ignored: see the file comment.
  });
}
