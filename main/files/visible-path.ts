// The form of a path the approver is shown (DESIGN "Consent"): the canonical
// path with unprintable characters made visible by protocol/visible-text.
import type { PathDisplay } from '../../protocol/consent';
import { visiblePath } from '../../protocol/visible-text';

/** The PathDisplay of a canonical path (what a preview carries). */
export function pathDisplay(canonical: string): PathDisplay {
  const visible = visiblePath(canonical);
  return { canonical, visible, hasInvisible: visible !== canonical };
}
