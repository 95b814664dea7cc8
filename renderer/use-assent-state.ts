// The renderer's view of the core: loaded once through invoke channels, then
// kept current by events from main. Main is the source of truth; this only
// mirrors it.
import { useEffect, useReducer } from 'react';
import type { GrantInfo } from '../protocol/consent';
import type {
  ActivityEntry,
  ChatEntry,
  ConsentRequestView,
  ProgressView,
  SessionView,
} from '../protocol/ipc';
import { assentApi } from './api';

export interface AssentState {
  readonly loaded: boolean;
  readonly session: SessionView;
  readonly pending: readonly ConsentRequestView[];
  /** requestId of the most recent prompt (focus goes there). */
  readonly newestRequestId: string | null;
  readonly grants: readonly GrantInfo[];
  readonly activity: readonly ActivityEntry[];
  readonly chat: readonly ChatEntry[];
  readonly progress: readonly ProgressView[];
  /** Output of the session's terminals, in order, for the read-only mirror. */
  readonly terminal: TerminalLog;
}

/** Terminal output kept for the mirror (it may open later than the output arrives). */
export interface TerminalLog {
  readonly mode: 'supervised' | 'interactive' | null;
  readonly chunks: readonly string[];
  /** Chunks dropped from the front to stay under MAX_TERMINAL_CHARS. */
  readonly dropped: number;
}

/** Terminal characters kept in memory for the mirror. */
export const MAX_TERMINAL_CHARS = 1_000_000;

type Action =
  | {
      type: 'loaded';
      session: SessionView;
      pending: ConsentRequestView[];
      grants: GrantInfo[];
      activity: ActivityEntry[];
      chat: ChatEntry[];
    }
  | { type: 'session'; session: SessionView }
  | { type: 'pending'; pending: ConsentRequestView[] }
  | { type: 'requested'; request: ConsentRequestView }
  | { type: 'resolved'; requestId: string }
  | { type: 'grants'; grants: GrantInfo[] }
  | { type: 'activity'; entry: ActivityEntry }
  | { type: 'chat'; entry: ChatEntry }
  | { type: 'progress'; progress: ProgressView }
  | { type: 'terminal'; mode: 'supervised' | 'interactive'; data: string };

/** Timeline entries kept in memory; the audit log has the full record. */
export const MAX_TIMELINE_ENTRIES = 2000;

const initial: AssentState = {
  loaded: false,
  session: { phase: 'idle' },
  pending: [],
  newestRequestId: null,
  grants: [],
  activity: [],
  chat: [],
  progress: [],
  terminal: { mode: null, chunks: [], dropped: 0 },
};

const appendUnique = <T extends { id: string }>(list: readonly T[], item: T): T[] =>
  list.some((x) => x.id === item.id) ? [...list] : [...list, item].slice(-MAX_TIMELINE_ENTRIES);

function reduce(state: AssentState, action: Action): AssentState {
  switch (action.type) {
    case 'loaded':
      return {
        ...state,
        loaded: true,
        session: action.session,
        pending: action.pending,
        newestRequestId: action.pending.at(-1)?.requestId ?? null,
        grants: action.grants,
        activity: action.activity,
        chat: action.chat,
      };
    case 'session': {
      const over = action.session.phase === 'ended' || action.session.phase === 'idle';
      return {
        ...state,
        session: action.session,
        pending: over ? [] : state.pending,
        grants: over ? [] : state.grants,
      };
    }
    case 'pending':
      return { ...state, pending: action.pending };
    case 'requested':
      if (state.pending.some((p) => p.requestId === action.request.requestId)) return state;
      return {
        ...state,
        pending: [...state.pending, action.request],
        newestRequestId: action.request.requestId,
      };
    case 'resolved':
      return { ...state, pending: state.pending.filter((p) => p.requestId !== action.requestId) };
    case 'grants':
      return { ...state, grants: action.grants };
    case 'activity':
      return { ...state, activity: appendUnique(state.activity, action.entry) };
    case 'chat':
      return { ...state, chat: appendUnique(state.chat, action.entry) };
    case 'terminal': {
      const chunks = [...state.terminal.chunks, action.data];
      let size = chunks.reduce((n, c) => n + c.length, 0);
      let dropped = state.terminal.dropped;
      while (size > MAX_TERMINAL_CHARS && chunks.length > 1) {
        size -= chunks.shift()!.length;
        dropped += 1;
      }
      return { ...state, terminal: { mode: action.mode, chunks, dropped } };
    }
    case 'progress': {
      const rest = state.progress.filter((p) => p.id !== action.progress.id);
      return { ...state, progress: [...rest, action.progress] };
    }
  }
}

/** Mirrors the core's state; `dispatch` lets screens apply the results of their own calls. */
export function useAssentState(): [AssentState, (action: Action) => void] {
  const [state, dispatch] = useReducer(reduce, initial);
  useEffect(() => {
    const api = assentApi();
    const stops = [
      api.onSessionChanged((session) => dispatch({ type: 'session', session })),
      api.onConsentRequested((request) => dispatch({ type: 'requested', request })),
      api.onConsentResolved(({ requestId }) => dispatch({ type: 'resolved', requestId })),
      api.onGrantsChanged((grants) => dispatch({ type: 'grants', grants })),
      api.onActivityAppended((entry) => dispatch({ type: 'activity', entry })),
      api.onChatReceived((entry) => dispatch({ type: 'chat', entry })),
      api.onProgressChanged((progress) => dispatch({ type: 'progress', progress })),
      api.onTerminalOutput(({ mode, data }) => dispatch({ type: 'terminal', mode, data })),
    ];
    void Promise.all([
      api.sessionState({}),
      api.consentPending({}),
      api.grantsList({}),
      api.activityList({}),
      api.chatHistory({}),
    ]).then(([session, pending, grants, activity, chat]) =>
      dispatch({ type: 'loaded', session, pending, grants, activity, chat }),
    );
    return () => {
      for (const stop of stops) stop();
    };
  }, []);
  return [state, dispatch];
}
