// A conservative parser for one POSIX/bash command line: it finds the name of
// every command the line can run, so allow-for-session scopes match parsed
// names and never a prefix of the raw string (issue 4). Whatever it cannot
// read with certainty adds UNPARSED_COMMAND, which no scope covers:
// `journalctl; rm -rf x` -> [journalctl, rm]; `sh -c journalctl` -> [sh];
// `eval x`, `$cmd`, `{rm,-rf,x}`, here-documents -> [..., UNPARSED_COMMAND].
import { UNPARSED_COMMAND } from '../../protocol/terminal';

/** Builtins that change how later names resolve or run code from strings: never trusted to a scope. */
const STATE_CHANGING = new Set([
  'alias',
  'unalias',
  'enable',
  'eval',
  'source',
  '.',
  'trap',
  'export',
  'declare',
  'typeset',
  'readonly',
  'local',
  'set',
  'shopt',
  'hash',
  'unset',
  'bind',
  'fc',
  'complete',
]);
/** Variables whose assignment changes what later commands resolve to or run. */
const SENSITIVE_VARIABLE =
  /^(PATH|IFS|ENV|BASH_ENV|PROMPT_COMMAND|PS[0-4]|SHELLOPTS|BASHOPTS|CDPATH|GLOBIGNORE|LD_\w*|BASH_\w*|DYLD_\w*)$/;
const KEEP_COMMAND_POSITION = new Set([
  '!',
  'if',
  'then',
  'else',
  'elif',
  'do',
  'while',
  'until',
  '{',
]);
const END_COMPOUND = new Set(['fi', 'done', '}']);
const UNSUPPORTED_KEYWORDS = new Set(['case', 'esac', 'function', 'coproc', 'select', '[[', ']]']);
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=/;
const META = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);
const CONTROL_OPS = ['&&', '||', '|&', ';', '&', '|', '\n'];
const REDIRECT_OPS = ['&>>', '&>', '<<<', '>>', '>|', '>&', '<&', '<>', '>', '<'];
/** Every operator, longest first so `;;` is not read as `;`. */
const ALL_OPS = [...CONTROL_OPS, ...REDIRECT_OPS, '<<', '<<-', ';;', ';;&', ';&', '(', ')'].sort(
  (a, b) => b.length - a.length,
);

/** Raised where the parser cannot go on with certainty. */
class Unparseable extends Error {}

interface Word {
  readonly kind: 'word';
  /** Text after quote removal (meaningful when `literal`). */
  readonly text: string;
  readonly raw: string;
  /** No expansion, substitution, glob, brace or tilde: the text is what the shell will see. */
  readonly literal: boolean;
  readonly quoted: boolean;
  /** The next character follows without a blank (`2>file`). */
  readonly glued: boolean;
}
type Token = Word | { kind: 'op'; op: string } | { kind: 'end' };

class LineParser {
  private pos = 0;
  readonly names: string[] = [];
  uncertain = false;

  constructor(private readonly src: string) {}

  /** Parses commands until the end (or, inside `$( )`/`( )`, until the closing paren, which it consumes). */
  parseList(closeParen: boolean): void {
    let expectCommand = true;
    let assignmentsOnly = false;
    const endCommand = (): void => {
      if (assignmentsOnly) this.uncertain = true;
      assignmentsOnly = false;
    };
    for (;;) {
      const token = this.next();
      if (token.kind === 'end') {
        if (closeParen) throw new Unparseable('unbalanced (');
        endCommand();
        return;
      }
      if (token.kind === 'op') {
        const op = token.op;
        if (op === ')') {
          if (!closeParen) throw new Unparseable('unbalanced )');
          endCommand();
          return;
        }
        if (CONTROL_OPS.includes(op)) {
          endCommand();
          expectCommand = true;
          continue;
        }
        if (op === '(') {
          // `((` is an arithmetic command; `name ( )` a function definition.
          if (!expectCommand || this.src[this.pos] === '(') throw new Unparseable('( here');
          this.parseList(true);
          expectCommand = false;
          continue;
        }
        if (op === '<<' || op === '<<-') throw new Unparseable('here-document');
        if (REDIRECT_OPS.includes(op)) {
          const target = this.next();
          if (target.kind !== 'word') throw new Unparseable('redirection without a target');
          continue;
        }
        throw new Unparseable(`operator ${op}`);
      }
      // A word: fd number of a redirection, keyword, assignment, command name or argument.
      if (token.glued && /^\d+$/.test(token.raw) && /^[<>]/.test(this.src.slice(this.pos)))
        continue;
      if (!expectCommand) continue;
      const keyword =
        !token.quoted && (token.literal || ['{', '}', '[['].includes(token.raw))
          ? token.raw
          : undefined;
      if (keyword !== undefined && KEEP_COMMAND_POSITION.has(keyword)) continue;
      if (keyword !== undefined && END_COMPOUND.has(keyword)) {
        expectCommand = false;
        continue;
      }
      if (keyword !== undefined && UNSUPPORTED_KEYWORDS.has(keyword))
        throw new Unparseable(keyword);
      if (keyword === 'time') {
        this.skipWordIf('-p');
        continue;
      }
      if (keyword === 'for') {
        this.skipForHeader();
        continue;
      }
      const assignment = ASSIGNMENT.exec(token.raw);
      if (assignment) {
        if (SENSITIVE_VARIABLE.test(assignment[1]!)) this.uncertain = true;
        if (this.src[this.pos] === '(') throw new Unparseable('array assignment');
        assignmentsOnly = true;
        continue;
      }
      assignmentsOnly = false;
      expectCommand = false;
      if (!token.literal || token.text === '') {
        this.uncertain = true;
        continue;
      }
      this.names.push(token.text);
      if (STATE_CHANGING.has(token.text)) this.uncertain = true;
    }
  }

  /** `for NAME [in WORDS]` up to the separator; words are scanned for substitutions. */
  private skipForHeader(): void {
    if (this.src.slice(this.pos).trimStart().startsWith('((')) throw new Unparseable('for ((');
    for (;;) {
      const save = this.pos;
      const token = this.next();
      if (token.kind === 'word') continue;
      if (token.kind === 'op' && (token.op === ';' || token.op === '\n')) return;
      this.pos = save;
      throw new Unparseable('for header');
    }
  }

  private skipWordIf(text: string): void {
    const save = this.pos;
    const token = this.next();
    if (!(token.kind === 'word' && token.literal && token.text === text)) this.pos = save;
  }

  private next(): Token {
    const s = this.src;
    for (;;) {
      while (s[this.pos] === ' ' || s[this.pos] === '\t') this.pos++;
      if (s[this.pos] === '\\' && s[this.pos + 1] === '\n') {
        this.pos += 2;
        continue;
      }
      if (s[this.pos] === '#') {
        while (this.pos < s.length && s[this.pos] !== '\n') this.pos++;
        continue;
      }
      break;
    }
    if (this.pos >= s.length) return { kind: 'end' };
    const c = s[this.pos]!;
    if ((c === '<' || c === '>') && s[this.pos + 1] === '(') {
      this.pos += 2;
      this.parseList(true);
      return this.word('', '', false, false);
    }
    if (META.has(c)) {
      for (const op of ALL_OPS) {
        if (s.startsWith(op, this.pos)) {
          this.pos += op.length;
          return { kind: 'op', op };
        }
      }
    }
    return this.readWord();
  }

  private word(text: string, raw: string, literal: boolean, quoted: boolean): Word {
    const nextChar = this.src[this.pos];
    const glued = nextChar !== undefined && nextChar !== ' ' && nextChar !== '\t';
    return { kind: 'word', text, raw, literal, quoted, glued };
  }

  private readWord(): Word {
    const s = this.src;
    const start = this.pos;
    let text = '';
    let literal = true;
    let quoted = false;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (META.has(c)) break;
      if (c === '\\') {
        if (s[this.pos + 1] === '\n') {
          this.pos += 2;
          continue;
        }
        if (this.pos + 1 >= s.length) throw new Unparseable('trailing backslash');
        text += s[this.pos + 1];
        quoted = true;
        this.pos += 2;
        continue;
      }
      if (c === "'") {
        const end = s.indexOf("'", this.pos + 1);
        if (end < 0) throw new Unparseable('unbalanced quote');
        text += s.slice(this.pos + 1, end);
        quoted = true;
        this.pos = end + 1;
        continue;
      }
      if (c === '"') {
        this.pos++;
        quoted = true;
        const inner = this.readDoubleQuoted();
        text += inner.text;
        literal &&= inner.literal;
        continue;
      }
      if (c === '$' || c === '`') {
        if (this.readExpansion()) literal = false;
        else text += '$';
        continue;
      }
      if ('*?[{}'.includes(c) || (c === '~' && this.pos === start)) literal = false;
      text += c;
      this.pos++;
    }
    return this.word(text, s.slice(start, this.pos), literal, quoted);
  }

  private readDoubleQuoted(): { text: string; literal: boolean } {
    const s = this.src;
    let text = '';
    let literal = true;
    for (;;) {
      if (this.pos >= s.length) throw new Unparseable('unbalanced double quote');
      const c = s[this.pos]!;
      if (c === '"') {
        this.pos++;
        return { text, literal };
      }
      if (c === '\\' && '$`"\\\n'.includes(s[this.pos + 1] ?? '')) {
        if (s[this.pos + 1] !== '\n') text += s[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (c === '$' || c === '`') {
        if (this.readExpansion()) literal = false;
        else text += '$';
        continue;
      }
      text += c;
      this.pos++;
    }
  }

  /** At `$` or a backquote: consumes an expansion; false for a lone literal `$`. */
  private readExpansion(): boolean {
    const s = this.src;
    if (s[this.pos] === '`') {
      this.pos++;
      let inner = '';
      for (;;) {
        if (this.pos >= s.length) throw new Unparseable('unbalanced backquote');
        const c = s[this.pos]!;
        if (c === '`') break;
        if (c === '\\' && '$`\\'.includes(s[this.pos + 1] ?? '')) {
          inner += s[this.pos + 1];
          this.pos += 2;
          continue;
        }
        inner += c;
        this.pos++;
      }
      this.pos++;
      this.merge(inner);
      return true;
    }
    const n = s[this.pos + 1];
    if (n === '(' && s[this.pos + 2] === '(') {
      this.pos += 3;
      this.skipBalanced('(', ')', 2);
      return true;
    }
    if (n === '(') {
      this.pos += 2;
      this.parseList(true);
      return true;
    }
    if (n === '{') {
      this.pos += 2;
      this.skipBalanced('{', '}', 1);
      return true;
    }
    if (n === "'") {
      const quoted = /^(?:[^'\\]|\\[^])*'/.exec(s.slice(this.pos + 2));
      if (!quoted) throw new Unparseable("unbalanced $'");
      this.pos += 2 + quoted[0].length;
      return true;
    }
    if (n === '"') {
      this.pos += 2;
      this.readDoubleQuoted();
      return true;
    }
    if (n !== undefined && /[A-Za-z0-9_@*#?$!-]/.test(n)) {
      this.pos += 2;
      if (/[A-Za-z_]/.test(n)) while (/[A-Za-z0-9_]/.test(s[this.pos] ?? '')) this.pos++;
      return true;
    }
    this.pos++;
    return false;
  }

  /** Skips `${...}` or `$((...))`; any substitution inside makes the line uncertain. */
  private skipBalanced(open: string, close: string, depth: number): void {
    const s = this.src;
    const start = this.pos;
    let d = depth;
    while (d > 0) {
      if (this.pos >= s.length) throw new Unparseable(`unbalanced ${open}`);
      const c = s[this.pos]!;
      if (c === '\\') this.pos++;
      else if (c === open) d++;
      else if (c === close) d--;
      this.pos++;
    }
    const inner = s.slice(start, this.pos);
    if (inner.includes('$(') || inner.includes('`') || inner.includes('<(') || inner.includes('>('))
      this.uncertain = true;
  }

  private merge(inner: string): void {
    const sub = parseShellLine(inner);
    this.names.push(...sub.names);
    if (!sub.certain) this.uncertain = true;
  }
}

/** The parsed view of a line: the names of every command it can run, and whether that list is certain. */
export interface ParsedShellLine {
  readonly names: readonly string[];
  readonly certain: boolean;
}

/** Parses `line`; `names` are in order of appearance, without repeats and without the sentinel. */
export function parseShellLine(line: string): ParsedShellLine {
  const parser = new LineParser(line);
  let certain = true;
  try {
    parser.parseList(false);
    certain = !parser.uncertain;
  } catch (err) {
    if (!(err instanceof Unparseable)) throw err;
    certain = false;
  }
  return { names: [...new Set(parser.names)], certain };
}

/**
 * The command names a scope must cover for `line` to run: every parsed name,
 * plus UNPARSED_COMMAND when the parse is not certain or finds no command at all.
 */
export function commandNames(line: string): string[] {
  const { names, certain } = parseShellLine(line);
  return certain && names.length > 0 ? [...names] : [...names, UNPARSED_COMMAND];
}
