// A read-only xterm.js mirror of the terminal the engineer is using. Output
// is kept in the app state (it may arrive while another section is open) and
// written here from where the mirror left off. Input is never sent.
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { TerminalLog } from '../use-assent-state';
import { adoptInlineStyles } from './adopt-inline-styles';

export function TerminalMirror({ log }: { log: TerminalLog }) {
  const { t } = useTranslation();
  const host = useRef<HTMLDivElement | null>(null);
  const term = useRef<Terminal | null>(null);
  // Index (counting dropped chunks) of the next chunk to write.
  const written = useRef(0);
  const visible = log.mode !== null;

  useEffect(() => {
    if (!visible || host.current === null) return;
    const stopStyles = adoptInlineStyles(host.current);
    const terminal = new Terminal({
      disableStdin: true,
      rows: 20,
      cols: 100,
      scrollback: 5000,
      screenReaderMode: true,
    });
    terminal.open(host.current);
    term.current = terminal;
    written.current = 0;
    return () => {
      term.current = null;
      terminal.dispose();
      stopStyles();
    };
  }, [visible]);

  useEffect(() => {
    const terminal = term.current;
    if (terminal === null) return;
    const start = Math.max(written.current, log.dropped);
    for (let i = start; i < log.dropped + log.chunks.length; i++) {
      terminal.write(log.chunks[i - log.dropped]!);
    }
    written.current = log.dropped + log.chunks.length;
  }, [log, visible]);

  if (!visible) return null;
  return (
    <section aria-labelledby="terminal-title" className="panel">
      <h3 id="terminal-title">{t('activity.terminal')}</h3>
      <p className="meta">
        {t('activity.terminalMode', {
          mode:
            log.mode === 'supervised' ? t('consent.modeSupervised') : t('consent.modeInteractive'),
        })}
      </p>
      <div ref={host} className="terminal-host" data-testid="terminal" />
    </section>
  );
}
