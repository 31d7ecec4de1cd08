/** Helpers for the live-view tests: service entries in YAML, and polling until something shows. */

/** YAML for a `process.lua` entry `name` (source `name.lua`) and its auto-started `name-service` on app:processes. */
export function serviceEntries(name: string, modules: string[], lifecycle = ''): string {
  return `  - name: ${name}
    kind: process.lua
    source: file://${name}.lua
    method: main
    modules: [${modules.join(', ')}]
  - name: ${name}-service
    kind: process.service
    process: app:${name}
    host: app:processes
    lifecycle:
      auto_start: true
${lifecycle.replace(/^/gm, '      ').replace(/ +$/, '')}`;
}

/** Polls `probe` every 50 ms until it gives a value other than null/false; throws naming `what` after `ms`. */
export async function until<T>(what: string, probe: () => T | null | false | Promise<T | null | false>, ms = 15000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
