/**
 * The one polling helper of the tests: waits for a condition that real parts reach on their own time (a
 * socket, a process exit, a log line), with a deadline generous enough for a loaded 2-core machine.
 */

type Probe<T> = () => T | null | undefined | false | Promise<T | null | undefined | false>;

/**
 * Polls `probe` every `every` ms until it gives a value other than null, undefined or false, and returns it.
 * After `ms` it throws "timed out waiting for <what>", followed by `detail()` (the output so far) when given.
 * A probe that throws stops the wait with its error (a child that exited early).
 */
export async function until<T>(what: string, probe: Probe<T>, ms?: number, detail?: () => string): Promise<T>;
export async function until<T>(probe: Probe<T>, ms?: number): Promise<T>;
export async function until<T>(a: string | Probe<T>, b?: Probe<T> | number, c?: number, detail?: () => string): Promise<T> {
  const [what, probe, ms] = typeof a === 'string' ? [a, b as Probe<T>, c ?? 15_000] : ['the condition', a, (b as number | undefined) ?? 10_000];
  const every = 20;
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${detail ? `\n${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
