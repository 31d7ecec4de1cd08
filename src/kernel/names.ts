/**
 * The LOCAL name registry: unique names per node, several per PID, released when the owner exits.
 * Cluster scopes (EVENTUAL, CONSISTENT, STRONG) belong to a cluster layer this node does not have.
 */

export const SCOPE = { LOCAL: 0, EVENTUAL: 1, CONSISTENT: 2, STRONG: 3 } as const;

/**
 * What the names of one process may take: the registry holds them in JS, where the memory watchdog cannot see
 * them, so they are bounded (1,024 names of at most 1,024 characters: at most about 2 MiB a process).
 */
export const NAMES_PER_PROCESS = 1024;
export const MAX_NAME_LENGTH = 1024;

export class NameRegistry {
  private readonly byName = new Map<string, string>();
  private readonly byPid = new Map<string, Set<string>>();

  /**
   * true, or 'taken' when a different PID holds the name (same PID again is idempotent), or 'full' when the PID
   * holds NAMES_PER_PROCESS names already.
   */
  register(name: string, pid: string): true | 'taken' | 'full' {
    const owner = this.byName.get(name);
    if (owner !== undefined) return owner === pid ? true : 'taken';
    let names = this.byPid.get(pid);
    if (names !== undefined && names.size >= NAMES_PER_PROCESS) return 'full';
    this.byName.set(name, pid);
    if (names === undefined) this.byPid.set(pid, (names = new Set()));
    names.add(name);
    return true;
  }

  lookup(name: string): string | undefined {
    return this.byName.get(name);
  }

  unregister(name: string): boolean {
    const owner = this.byName.get(name);
    if (owner === undefined) return false;
    this.byName.delete(name);
    const names = this.byPid.get(owner);
    names?.delete(name);
    if (names?.size === 0) this.byPid.delete(owner);
    return true;
  }

  /** The names a PID holds (the live view). */
  namesOf(pid: string): string[] {
    const names = this.byPid.get(pid);
    return names === undefined ? [] : [...names];
  }

  /** Releases every name of a PID (on exit, before any EXIT goes out). */
  releaseAll(pid: string): void {
    const names = this.byPid.get(pid);
    if (names === undefined) return;
    for (const name of names) this.byName.delete(name);
    this.byPid.delete(pid);
  }
}
