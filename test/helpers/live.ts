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

