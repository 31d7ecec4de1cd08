/**
 * The LOCAL name registry (spec §5.2): unique names per node, several per PID, released when the owner exits.
 * Cluster scopes (EVENTUAL, CONSISTENT, STRONG) belong to a cluster layer this node does not have.
 */

export const SCOPE = { LOCAL: 0, EVENTUAL: 1, CONSISTENT: 2, STRONG: 3 } as const;

export class NameRegistry {
  private readonly byName = new Map<string, string>();
  private readonly byPid = new Map<string, Set<string>>();

  /** true, or 'taken' when a different PID holds the name (same PID again is idempotent). */
  register(name: string, pid: string): true | 'taken' {
    const owner = this.byName.get(name);
    if (owner !== undefined) return owner === pid ? true : 'taken';
    this.byName.set(name, pid);
    let names = this.byPid.get(pid);
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
