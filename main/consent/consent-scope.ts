// Whether an allow-similar scope covers an action. Matching is on parsed data
// (canonical path components, parsed command names), never on raw strings.
import type { ConsentScope } from '../../protocol/consent';
import { isScopableCommand } from '../../protocol/terminal';
import { isPathUnder, type PathPlatform } from '../rules/path-scope';
import type { ActionDescription } from './action';

/** True when the scope's kind and target cover the action (lifetime and uses are checked by the engine). */
export function scopeCovers(
  scope: ConsentScope,
  action: ActionDescription,
  platform: PathPlatform,
): boolean {
  if (scope.kind !== action.kind) return false;
  if (action.kind.startsWith('file.')) {
    const paths = action.match.paths ?? [];
    const prefix = scope.pathPrefix;
    return (
      prefix !== undefined &&
      paths.length > 0 &&
      paths.every((path) => isPathUnder(path, prefix, platform))
    );
  }
  if (action.kind === 'terminal.command') {
    const names = action.match.commands ?? [];
    return (
      scope.command !== undefined &&
      isScopableCommand(scope.command) &&
      names.length > 0 &&
      names.every((n) => n === scope.command)
    );
  }
  if (action.kind === 'fix.apply' || action.kind === 'fix.rollback')
    return scope.product !== undefined && action.match.product === scope.product;
  // An interactive window is opened, and extended, only by its own consent (issue 4).
  return false;
}
