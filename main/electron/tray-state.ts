// Which tray state to show: consent pending wins over the session phase.
// Pure, so the rule is tested without Electron.
import type { SessionPhase } from '../../protocol/ipc';

export type TrayState = 'idle' | 'waiting' | 'active' | 'consent-pending';

/** The tray icon for a session phase and the number of pending prompts. */
export function trayState(phase: SessionPhase, pendingConsents: number): TrayState {
  if (pendingConsents > 0 && phase === 'active') return 'consent-pending';
  switch (phase) {
    case 'active':
      return 'active';
    case 'connecting':
    case 'waiting-for-engineer':
    case 'awaiting-approval':
      return 'waiting';
    case 'idle':
    case 'ended':
      return 'idle';
  }
}

/** True when closing the window must first ask whether to end the session. */
export function closeNeedsConfirmation(phase: SessionPhase): boolean {
  return phase !== 'idle' && phase !== 'ended';
}
