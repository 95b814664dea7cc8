// A read-only xterm.js mirror of the terminal the engineer is using, fed by
// `terminalOutput` events. The approver watches; input is never sent.
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { assentApi } from '../api';

export function TerminalMirror() {
  const { t } = useTranslation();
  const host = useRef<HTMLDivElement | null>(null);
  const [mode, setMode] = useState<'supervised' | 'interactive' | null>(null);

  useEffect(() => {
    let term: Terminal | null = null;
    const stop = assentApi().onTerminalOutput((output) => {
      setMode(output.mode);
      if (term === null && host.current !== null) {
        term = new Terminal({
          disableStdin: true,
          convertEol: false,
          rows: 20,
          cols: 100,
          scrollback: 5000,
          screenReaderMode: true,
        });
        term.open(host.current);
      }
      term?.write(output.data);
    });
    return () => {
      stop();
      term?.dispose();
    };
  }, []);

  return (
    <section aria-labelledby="terminal-title" className="panel" hidden={mode === null}>
      <h3 id="terminal-title">{t('activity.terminal')}</h3>
      {mode !== null && (
        <p className="meta">
          {t('activity.terminalMode', {
            mode:
              mode === 'supervised' ? t('consent.modeSupervised') : t('consent.modeInteractive'),
          })}
        </p>
      )}
      <div ref={host} className="terminal-host" />
    </section>
  );
}
