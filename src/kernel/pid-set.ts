/**
 * A set of PID strings for a process's monitors, watched processes and links. Most processes have none or
 * one of each (a worker monitored by its relay), so one PID is held inline and a Set is made only for a
 * second: a spawn then allocates no collection at all.
 */
export class PidSet {
  private one: string | null = null;
  private many: Set<string> | null = null;

  get size(): number {
    return this.many !== null ? this.many.size : this.one === null ? 0 : 1;
  }

  has(pid: string): boolean {
    return this.many !== null ? this.many.has(pid) : this.one === pid;
  }

  add(pid: string): void {
    if (this.many !== null) this.many.add(pid);
    else if (this.one === null || this.one === pid) this.one = pid;
    else {
      this.many = new Set([this.one, pid]);
      this.one = null;
    }
  }

  delete(pid: string): void {
    if (this.many !== null) this.many.delete(pid);
    else if (this.one === pid) this.one = null;
  }

  [Symbol.iterator](): Iterator<string> {
    if (this.many !== null) return this.many.values();
    return (this.one === null ? [] : [this.one]).values();
  }
}
