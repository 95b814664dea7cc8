// The form of a path the approver is shown (DESIGN "Consent": the canonical
// path with unprintable characters made visible). Control, format (bidi,
// zero-width), separator, private-use and unassigned characters, invisible
// fillers, and the brackets used for the escape itself, are shown as
// ⟨U+XXXX⟩. In a name that is not NFC, combining marks are shown too, so two
// names that look alike (NFC vs NFD) are told apart.
import type { PathDisplay } from '../../protocol/consent';

const INVISIBLE =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u115f\u1160\u3164\uffa0\u27e8\u27e9\ufffc\ufffd]/u;
const COMBINING = /\p{M}/u;
/** Variation selectors and invisible combining marks (alternation: a class would combine them). */
const SELECTOR = /\u034f|\u17b4|\u17b5|[\u180b-\u180f]|[\ufe00-\ufe0f]/u;

function escape(ch: string): string {
  return `⟨U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/** `text` with every invisible or confusable character shown as ⟨U+XXXX⟩. */
export function visibleText(text: string): string {
  return text
    .split('/')
    .map((segment) => {
      const showMarks = segment !== segment.normalize('NFC');
      let out = '';
      for (const ch of segment)
        out +=
          INVISIBLE.test(ch) || SELECTOR.test(ch) || (showMarks && COMBINING.test(ch))
            ? escape(ch)
            : ch;
      return out;
    })
    .join('/');
}

/** The PathDisplay of a canonical path (what a preview carries). */
export function pathDisplay(canonical: string): PathDisplay {
  const visible = visibleText(canonical);
  return { canonical, visible, hasInvisible: visible !== canonical };
}
