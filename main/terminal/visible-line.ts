// The form of a command line the approver is shown: control, format (bidi,
// zero-width), separator, private-use and unassigned characters, and the
// brackets of the escape itself, are shown as ⟨U+XXXX⟩ (DESIGN "Consent").
const INVISIBLE =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u115f\u1160\u3164\uffa0\u27e8\u27e9\ufffc\ufffd]/u;
/** Invisible combining marks (grapheme joiner, variation selectors), checked by code point. */
function isInvisibleMark(cp: number): boolean {
  return cp === 0x034f || (cp >= 0x180b && cp <= 0x180f) || (cp >= 0xfe00 && cp <= 0xfe0f);
}

/** `line` with every invisible or confusable character shown as ⟨U+XXXX⟩ (a tab stays a tab). */
export function visibleLine(line: string): string {
  let out = '';
  for (const ch of line)
    out +=
      ch !== '\t' && (INVISIBLE.test(ch) || isInvisibleMark(ch.codePointAt(0)!))
        ? `⟨U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`
        : ch;
  return out;
}

/** True when `line` holds a character the pty's line discipline or line editor would act on (C0 except tab, DEL, C1). */
export function hasTerminalControl(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}
