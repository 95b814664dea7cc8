// What the headless UI prints about running actions: a line at each quarter
// of a transfer or fix, and one when it finishes or fails.
import type { ChannelMessage } from '../../protocol/wire/messages';

/** Lines for one outgoing message; `shown` keeps the last quarter printed per request. */
export function actionProgressLines(message: ChannelMessage, shown: Map<string, number>): string[] {
  switch (message.type) {
    case 'action.progress': {
      if (!message.total) return [];
      const quarter = Math.min(4, Math.floor((message.done / message.total) * 4));
      if (quarter <= (shown.get(message.requestId) ?? 0)) return [];
      shown.set(message.requestId, quarter);
      const stage = message.stage ? ` (${message.stage})` : '';
      return [`[action ${message.requestId}] ${quarter * 25}% of ${message.total} bytes${stage}`];
    }
    case 'action.result':
      shown.delete(message.requestId);
      return [`[action ${message.requestId}] done`];
    case 'action.error':
      shown.delete(message.requestId);
      return [`[action ${message.requestId}] failed: ${message.message} (${message.code})`];
    default:
      return [];
  }
}
