// What in a command line the pty would act on; how a line is shown to the
// approver is protocol/visible-text's visibleLine.

/** True when `line` holds a character the pty's line discipline or line editor would act on (C0 except tab, DEL, C1). */
export function hasTerminalControl(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}
