// xterm.js writes its theme and cell sizes into <style> elements it creates;
// the app's CSP (style-src 'self', no 'unsafe-inline') rightly refuses them.
// This copies the text of those elements, inside one container only, into a
// constructed stylesheet (CSSOM, which the CSP does not govern, the same way
// script-set element.style is allowed) and keeps it in step as xterm
// rewrites them. Nothing from the engineer reaches these styles: xterm
// computes them from its own options.

/** Adopts the inline <style> elements xterm creates under `container`; returns a stop function. */
export function adoptInlineStyles(container: HTMLElement): () => void {
  const sheets = new Map<HTMLStyleElement, CSSStyleSheet>();
  const sync = (): void => {
    for (const element of container.querySelectorAll('style')) {
      let sheet = sheets.get(element);
      if (sheet === undefined) {
        sheet = new CSSStyleSheet();
        sheets.set(element, sheet);
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
      }
      sheet.replaceSync(element.textContent ?? '');
    }
  };
  const observer = new MutationObserver(sync);
  observer.observe(container, { subtree: true, childList: true, characterData: true });
  sync();
  return () => {
    observer.disconnect();
    const mine = new Set(sheets.values());
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => !mine.has(s));
  };
}
