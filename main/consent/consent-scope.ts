// Whether an allow-similar scope covers an action. Matching is on parsed data
// (canonical path components, parsed command names), never on raw strings.
import type { ConsentScope } from '../../protocol/consent';
import { onlyCommand } from '../../protocol/terminal';
import { allPathsUnder, type PathPlatform } from '../rules/path-scope';
import type { ActionDescription } from './action';

/** True when the scope's kind and target cover the action (lifetime and uses are checked by the engine). */
export function scopeCovers(
  scope: ConsentScope,
  action: ActionDescription,
  platform: PathPlatform,
): boolean {
  if (scope.kind !== action.kind) return false;
  if (action.kind.startsWith('file.'))
    return allPathsUnder(action.match.paths ?? [], scope.pathPrefix, platform);
  if (action.kind === 'terminal.command')
    return onlyCommand(action.match.commands ?? [], scope.command);
  if (action.kind === 'fix.apply' || action.kind === 'fix.rollback')
    return scope.product !== undefined && action.match.product === scope.product;
  // An interactive window is opened, and extended, only by its own consent (issue 4).
  return false;
}
