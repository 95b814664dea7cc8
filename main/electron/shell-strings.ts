// The few sentences the main process shows itself (tray, notification, close
// dialog), in the app's four languages. Whole sentences, never concatenated.
import type { SessionPhase } from '../../protocol/ipc';

export type ShellLocale = 'en' | 'fr' | 'de' | 'nb';

export interface ShellStrings {
  readonly tray: Readonly<Record<SessionPhase | 'consent-pending', string>>;
  readonly openWindow: string;
  readonly endSession: string;
  readonly consentTitle: string;
  readonly consentBody: string;
  readonly closeTitle: string;
  readonly closeMessage: string;
  readonly closeEnd: string;
  readonly closeKeep: string;
}

export const SHELL_STRINGS: Readonly<Record<ShellLocale, ShellStrings>> = {
  en: {
    tray: {
      idle: 'Assent: no session',
      connecting: 'Assent: connecting',
      'waiting-for-engineer': 'Assent: waiting for the engineer',
      'awaiting-approval': 'Assent: a session request is waiting',
      active: 'Assent: session active',
      ended: 'Assent: session ended',
      'consent-pending': 'Assent: an action is waiting for your approval',
    },
    openWindow: 'Open Assent',
    endSession: 'End session',
    consentTitle: 'Approval needed',
    consentBody: 'The engineer is asking for an action. Open Assent to review it.',
    closeTitle: 'A session is active',
    closeMessage: 'Closing Assent ends the support session. End it now?',
    closeEnd: 'End session and close',
    closeKeep: 'Keep the session',
  },
  fr: {
    tray: {
      idle: 'Assent : aucune session',
      connecting: 'Assent : connexion en cours',
      'waiting-for-engineer': 'Assent : en attente du technicien',
      'awaiting-approval': 'Assent : une demande de session attend',
      active: 'Assent : session active',
      ended: 'Assent : session terminée',
      'consent-pending': 'Assent : une action attend votre accord',
    },
    openWindow: 'Ouvrir Assent',
    endSession: 'Terminer la session',
    consentTitle: 'Accord requis',
    consentBody: 'Le technicien demande une action. Ouvrez Assent pour l’examiner.',
    closeTitle: 'Une session est active',
    closeMessage: 'Fermer Assent met fin à la session d’assistance. La terminer maintenant ?',
    closeEnd: 'Terminer et fermer',
    closeKeep: 'Garder la session',
  },
  de: {
    tray: {
      idle: 'Assent: keine Sitzung',
      connecting: 'Assent: Verbindung wird aufgebaut',
      'waiting-for-engineer': 'Assent: wartet auf den Techniker',
      'awaiting-approval': 'Assent: eine Sitzungsanfrage wartet',
      active: 'Assent: Sitzung aktiv',
      ended: 'Assent: Sitzung beendet',
      'consent-pending': 'Assent: eine Aktion wartet auf Ihre Zustimmung',
    },
    openWindow: 'Assent öffnen',
    endSession: 'Sitzung beenden',
    consentTitle: 'Zustimmung erforderlich',
    consentBody: 'Der Techniker bittet um eine Aktion. Öffnen Sie Assent, um sie zu prüfen.',
    closeTitle: 'Eine Sitzung ist aktiv',
    closeMessage: 'Wenn Sie Assent schließen, endet die Support-Sitzung. Jetzt beenden?',
    closeEnd: 'Sitzung beenden und schließen',
    closeKeep: 'Sitzung behalten',
  },
  nb: {
    tray: {
      idle: 'Assent: ingen økt',
      connecting: 'Assent: kobler til',
      'waiting-for-engineer': 'Assent: venter på teknikeren',
      'awaiting-approval': 'Assent: en øktforespørsel venter',
      active: 'Assent: økt aktiv',
      ended: 'Assent: økten er avsluttet',
      'consent-pending': 'Assent: en handling venter på godkjenningen din',
    },
    openWindow: 'Åpne Assent',
    endSession: 'Avslutt økten',
    consentTitle: 'Godkjenning trengs',
    consentBody: 'Teknikeren ber om en handling. Åpne Assent for å se på den.',
    closeTitle: 'En økt er aktiv',
    closeMessage: 'Når du lukker Assent, avsluttes støtteøkten. Vil du avslutte den nå?',
    closeEnd: 'Avslutt økten og lukk',
    closeKeep: 'Behold økten',
  },
};

/** The supported locale for an OS locale tag (`nb-NO`, `no`, `nn` -> nb; unknown -> en). */
export function pickLocale(osLocale: string): ShellLocale {
  const base = osLocale.toLowerCase().split(/[-_]/)[0] ?? '';
  if (base === 'nb' || base === 'no' || base === 'nn') return 'nb';
  if (base === 'fr' || base === 'de') return base;
  return 'en';
}
