// The rules an agent enforces: the countersigned ground rules intersected
// with the machine policy. Deny wins; every denial names the rule behind it
// (DecisionBasis), so both people see why. The policy can only narrow: roots
// must satisfy both lists, globs add up, limits take the minimum, the
// terminal mode the stricter of the two.
import type { ConsentScope, DecisionBasis } from '../../protocol/consent';
import type { ActionKind } from '../../protocol/consent';
import { DEFAULT_CONSENT_TIMEOUT_MS } from '../../protocol/consent';
import {
  DEFAULT_DENIED_GLOBS,
  type GroundRules,
  type MachinePolicy,
  type StandingConsent,
  type TerminalMode,
} from '../../protocol/ground-rules';
import { keyFingerprint } from '../../platform/signing';
import { isScopableCommand, onlyCommand } from '../../protocol/terminal';
import type { ActionDescription } from '../consent/action';
import {
  compileGlob,
  currentPathPlatform,
  firstDeniedGlob,
  globSet,
  allPathsUnder,
  isPathUnder,
  type GlobSet,
  type CompiledGlob,
  type PathPlatform,
} from './path-scope';
import { rulesFingerprint } from '../../platform/ground-rules';
import { rulesSummary } from './rules-summary';
import { withinSupportHours } from './support-hours';

/** What the rules say about one action. */
export type RulesVerdict =
  { allowed: true; standing?: StandingConsent } | { allowed: false; basis: DecisionBasis };

/** When an action is evaluated: the clock and the session's start (for the session length limit). */
export interface EvaluationContext {
  readonly now?: number;
  readonly sessionStartedAt?: number;
}

export const READ_KINDS: ReadonlySet<ActionKind> = new Set<ActionKind>([
  'file.list',
  'file.stat',
  'file.read',
  'file.find',
]);
export const WRITE_KINDS: ReadonlySet<ActionKind> = new Set<ActionKind>([
  'file.write',
  'file.edit',
  'file.mkdir',
  'file.rename',
  'file.delete',
  'file.restore',
]);

const TERMINAL_ORDER: Record<TerminalMode, number> = { off: 0, supervised: 1, interactive: 2 };

interface SourcedGlob extends CompiledGlob {
  readonly source: 'ground-rules' | 'machine-policy';
  readonly label: string;
}

const deny = (source: DecisionBasis['source'], rule: string): RulesVerdict => ({
  allowed: false,
  basis: { source, rule: rule.slice(0, 500) },
});

function sizeOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Ground rules ∩ machine policy, with the evaluation every action goes through first. */
export class EffectiveRules {
  readonly fingerprint: string;
  readonly platform: PathPlatform;
  readonly terminal: TerminalMode;
  readonly maxReadBytes: number;
  readonly maxWriteBytes: number;
  readonly sessionMaxMinutes: number;
  readonly consentTimeoutMs: number;
  readonly standingConsents: readonly StandingConsent[];
  readonly fixesAllowed: boolean;
  private readonly protectedFolders: readonly string[];
  private readonly globs: readonly SourcedGlob[];
  private readonly globSet: GlobSet;
  private readonly signerFingerprints: ReadonlyMap<string, string>;

  constructor(
    readonly rules: GroundRules,
    readonly policy: MachinePolicy | null,
    options: {
      platform?: PathPlatform;
      /**
       * Folders no action may touch whatever the rules say: the agent's own
       * data folder (audit log, trash, recordings, rules in force).
       */
      protectedFolders?: readonly string[];
    } = {},
  ) {
    this.platform = options.platform ?? currentPathPlatform();
    this.protectedFolders = options.protectedFolders ?? [];
    this.fingerprint = rulesFingerprint(rules);
    const p = policy ?? undefined;
    this.terminal =
      p?.terminal !== undefined && TERMINAL_ORDER[p.terminal] < TERMINAL_ORDER[rules.terminal]
        ? p.terminal
        : rules.terminal;
    this.maxReadBytes = Math.min(rules.maxReadBytes, p?.maxReadBytes ?? Infinity);
    this.maxWriteBytes = Math.min(rules.maxWriteBytes, p?.maxWriteBytes ?? Infinity);
    this.sessionMaxMinutes = Math.min(rules.sessionMaxMinutes, p?.sessionMaxMinutes ?? Infinity);
    this.consentTimeoutMs = rules.consentTimeoutSeconds * 1000 || DEFAULT_CONSENT_TIMEOUT_MS;
    this.standingConsents = p?.allowStandingConsents === false ? [] : rules.standingConsents;
    this.fixesAllowed = p?.allowFixes !== false && rules.fixSigners.length > 0;
    this.globs = [
      ...DEFAULT_DENIED_GLOBS.map((g, i) => ({
        ...compileGlob(g),
        source: 'ground-rules' as const,
        label: `defaultDeniedGlobs[${i}]`,
      })),
      ...rules.deniedGlobs.map((g, i) => ({
        ...compileGlob(g),
        source: 'ground-rules' as const,
        label: `deniedGlobs[${i}]`,
      })),
      ...(p?.deniedGlobs ?? []).map((g, i) => ({
        ...compileGlob(g),
        source: 'machine-policy' as const,
        label: `policy.deniedGlobs[${i}]`,
      })),
    ];
    this.globSet = globSet(this.globs);
    this.signerFingerprints = new Map(
      rules.fixSigners.map((s) => [keyFingerprint(s.publicKey), s.name]),
    );
  }

  /** The human-readable summary shown with the fingerprint (admin at accept, both people at session start). */
  summary(): string[] {
    return rulesSummary(this);
  }

  /** The protected folder (the agent's own data folder) `path` lies in, if any. */
  protectedFolderOf(path: string): string | undefined {
    return this.protectedFolders.find((folder) => isPathUnder(path, folder, this.platform));
  }

  /** The denied glob that matches `path`, as a basis, or null. */
  deniedBy(path: string): DecisionBasis | null {
    const guarded = this.protectedFolderOf(path);
    if (guarded)
      return {
        source: 'machine-policy',
        rule: `the agent's own data folder: ${guarded}`.slice(0, 500),
      };
    const hit = firstDeniedGlob(path, this.globSet);
    if (!hit) return null;
    const g = this.globs[hit.index]!;
    return { source: g.source, rule: `${g.label}: ${g.glob}`.slice(0, 500) };
  }

  /** True when a denied glob matches `path` (file handlers also filter listings and search hits with it). */
  isDenied(path: string): boolean {
    return this.deniedBy(path) !== null;
  }

  /** Why `path` may not be read, or null when it may. */
  readRefusal(path: string): DecisionBasis | null {
    return this.rootRefusal(path, 'readableRoots');
  }

  /** Why `path` may not be written, or null when it may. */
  writeRefusal(path: string): DecisionBasis | null {
    return this.rootRefusal(path, 'writableRoots');
  }

  private rootRefusal(
    path: string,
    which: 'readableRoots' | 'writableRoots',
  ): DecisionBasis | null {
    return this.deniedBy(path) ?? this.outsideRoots(path, which);
  }

  /** Why `path` is outside the rules' or the policy's roots, or null (denied globs not checked). */
  private outsideRoots(
    path: string,
    which: 'readableRoots' | 'writableRoots',
  ): DecisionBasis | null {
    const under = (roots: readonly string[]): boolean =>
      roots.some((root) => isPathUnder(path, root, this.platform));
    if (!under(this.rules[which]))
      return { source: 'ground-rules', rule: `${which}: ${path}`.slice(0, 500) };
    const policyRoots = this.policy?.[which];
    if (policyRoots && !under(policyRoots))
      return { source: 'machine-policy', rule: `policy.${which}: ${path}`.slice(0, 500) };
    return null;
  }

  /** Checks an action against the rules and policy; then looks for a standing consent that covers it. */
  evaluate(action: ActionDescription, context: EvaluationContext = {}): RulesVerdict {
    const now = context.now ?? Date.now();
    if (this.policy?.deniedKinds?.includes(action.kind))
      return deny('machine-policy', `policy.deniedKinds: ${action.kind}`);
    if (this.rules.validUntil && now > Date.parse(this.rules.validUntil))
      return deny('ground-rules', `validUntil: ${this.rules.validUntil}`);
    const hours = this.rules.supportHours;
    if (hours && !withinSupportHours(hours, now))
      return deny(
        'ground-rules',
        `supportHours: days ${hours.days.join(',')} ${hours.start}-${hours.end} ${hours.timeZone}`,
      );
    if (
      context.sessionStartedAt !== undefined &&
      now - context.sessionStartedAt > this.sessionMaxMinutes * 60_000
    ) {
      const fromPolicy = this.sessionMaxMinutes < this.rules.sessionMaxMinutes;
      return deny(
        fromPolicy ? 'machine-policy' : 'ground-rules',
        `${fromPolicy ? 'policy.' : ''}sessionMaxMinutes: ${this.sessionMaxMinutes}`,
      );
    }
    const refusal = this.kindRefusal(action);
    if (refusal) return refusal;
    const standing = this.standingFor(action);
    return standing ? { allowed: true, standing } : { allowed: true };
  }

  private kindRefusal(action: ActionDescription): RulesVerdict | null {
    const { kind } = action;
    const paths = action.match.paths ?? [];
    for (const path of paths) {
      const denied = this.deniedBy(path);
      if (denied) return { allowed: false, basis: denied };
    }
    if (READ_KINDS.has(kind) || WRITE_KINDS.has(kind)) {
      if (paths.length === 0) return deny('ground-rules', `${kind}: no path to check`);
      const write = WRITE_KINDS.has(kind);
      for (const path of paths) {
        // Denied globs were checked above for every path.
        const basis = this.outsideRoots(path, write ? 'writableRoots' : 'readableRoots');
        if (basis) return { allowed: false, basis };
      }
      return this.sizeRefusal(action, write);
    }
    if (kind === 'terminal.command' || kind === 'terminal.interactive') {
      const needed = kind === 'terminal.command' ? 'supervised' : 'interactive';
      if (TERMINAL_ORDER[this.terminal] < TERMINAL_ORDER[needed]) {
        const fromPolicy = this.terminal !== this.rules.terminal;
        return deny(
          fromPolicy ? 'machine-policy' : 'ground-rules',
          `${fromPolicy ? 'policy.' : ''}terminal: ${this.terminal}`,
        );
      }
      return null;
    }
    // fix.apply / fix.rollback
    if (this.policy?.allowFixes === false)
      return deny('machine-policy', 'policy.allowFixes: false');
    const fix = action.preview.fix;
    if (kind === 'fix.apply') {
      if (!fix || !this.signerFingerprints.has(fix.signerFingerprint))
        return deny(
          'ground-rules',
          `fixSigners: ${fix?.signer ?? 'unknown'} is not an allowed signer`,
        );
      for (const file of fix.files) {
        const size = file.change.after?.size;
        if (size !== undefined && size > this.maxWriteBytes)
          return this.limitRefusal('maxWriteBytes', size);
      }
    }
    return null;
  }

  private sizeRefusal(action: ActionDescription, write: boolean): RulesVerdict | null {
    const preview = action.preview;
    const size = write
      ? (preview.change?.after?.size ?? sizeOf(action.params['size']))
      : action.kind === 'file.read'
        ? (preview.file?.size ?? sizeOf(action.params['size']))
        : undefined;
    if (size === undefined) return null;
    const limit = write ? this.maxWriteBytes : this.maxReadBytes;
    return size > limit ? this.limitRefusal(write ? 'maxWriteBytes' : 'maxReadBytes', size) : null;
  }

  private limitRefusal(which: 'maxReadBytes' | 'maxWriteBytes', size: number): RulesVerdict {
    const fromPolicy = this[which] < this.rules[which];
    return deny(
      fromPolicy ? 'machine-policy' : 'ground-rules',
      `${fromPolicy ? 'policy.' : ''}${which}: ${size} > ${this[which]}`,
    );
  }

  /** The standing consent that covers the action, if any. */
  private standingFor(action: ActionDescription): StandingConsent | undefined {
    return this.standingConsents.find((s) => {
      if (s.kind !== action.kind) return false;
      if (READ_KINDS.has(action.kind) || WRITE_KINDS.has(action.kind))
        return allPathsUnder(action.match.paths ?? [], s.under, this.platform);
      if (action.kind === 'terminal.command')
        return onlyCommand(action.match.commands ?? [], s.command);
      if (action.kind === 'terminal.interactive') return false; // only its own consent opens a window
      return s.under === undefined && s.command === undefined;
    });
  }

  /** Whether an allow-similar scope stays inside what the rules and policy allow at all. */
  scopeRefusal(scope: ConsentScope): DecisionBasis | null {
    if (this.policy?.deniedKinds?.includes(scope.kind))
      return { source: 'machine-policy', rule: `policy.deniedKinds: ${scope.kind}` };
    if (READ_KINDS.has(scope.kind) || WRITE_KINDS.has(scope.kind)) {
      if (scope.pathPrefix === undefined)
        return { source: 'approver', rule: 'a file scope needs a path prefix' };
      return WRITE_KINDS.has(scope.kind)
        ? this.writeRefusal(scope.pathPrefix)
        : this.readRefusal(scope.pathPrefix);
    }
    if (scope.kind === 'terminal.command') {
      if (scope.command === undefined || !isScopableCommand(scope.command))
        return {
          source: 'approver',
          rule: 'a terminal scope needs a command name the parser could read',
        };
      if (this.terminal === 'off')
        return {
          source: this.rules.terminal === 'off' ? 'ground-rules' : 'machine-policy',
          rule: 'terminal: off',
        };
      return null;
    }
    if (scope.kind === 'terminal.interactive')
      return {
        source: 'approver',
        rule: 'an interactive window is opened only by its own consent',
      };
    if ((scope.kind === 'fix.apply' || scope.kind === 'fix.rollback') && !this.fixesAllowed)
      return this.policy?.allowFixes === false
        ? { source: 'machine-policy', rule: 'policy.allowFixes: false' }
        : { source: 'ground-rules', rule: 'fixSigners: none' };
    return null;
  }
}
