// Top-level `assent-engineer` commands contributed by the domains (e.g. fix
// packages), run outside a session.

/** Where a top-level engineer command reads and writes. */
export interface EngineerCommandIo {
  readonly engineerHome: string;
  readonly vendorHome: string;
  readonly out: (line: string) => void;
}

/** One `assent-engineer <name> ...` command. */
export interface EngineerCommand {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  run(argv: string[], io: EngineerCommandIo): Promise<number>;
}

export const engineerCommands: readonly EngineerCommand[] = [];
