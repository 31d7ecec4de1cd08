import { RegistryError, Site } from './errors';
import { Registry } from './registry';
import { ServiceLikeEntry, isServiceEntry, isServiceLike } from './types';

/**
 * What a service-like entry waits for: `lifecycle.requires`, plus a process service's host, plus the services
 * a service entry names (a store on its database); references to entries that are not services do not order.
 */
export function dependenciesOf(entry: ServiceLikeEntry, registry?: Registry): string[] {
  const deps = [...entry.lifecycle.requires];
  const add = (id: string): void => {
    if (!deps.includes(id)) deps.push(id);
  };
  if (entry.kind === 'process.service') add(entry.host);
  if (isServiceEntry(entry) && registry !== undefined) {
    for (const ref of entry.refs) {
      const target = registry.get(ref.id);
      if (target !== undefined && isServiceLike(target)) add(ref.id);
    }
  }
  return deps;
}

/**
 * The service-like entries (hosts and `process.service`) grouped into start levels:
 * every entry's dependencies sit in earlier levels, and entries of one level do not
 * depend on each other, so a level can be started in parallel. Within a level entries
 * keep load order. Stop in the reverse order (`stopLevels`), as Wippy does.
 *
 * Every entry is included, `auto_start` or not; the supervisor decides what to start.
 * Throws `RegistryError` for a cycle: `dependency cycle: app:a -> app:b -> app:a`.
 */
export function startLevels(registry: Registry): string[][] {
  const nodes = registry.entries().filter(isServiceLike);
  const deps = new Map<string, string[]>();
  for (const node of nodes) {
    for (const dep of dependenciesOf(node, registry)) {
      const target = registry.get(dep);
      if (target === undefined || !isServiceLike(target)) {
        // loadProject rejects these; this guards registries built by hand.
        throw new Site(registry.root, node.file, node.id, undefined, node.line).error(`depends on "${dep}", which is not a service or host`);
      }
    }
    deps.set(node.id, dependenciesOf(node, registry));
  }

  const levels: string[][] = [];
  const placed = new Set<string>();
  let remaining = nodes.map((n) => n.id);
  while (remaining.length > 0) {
    const level = remaining.filter((id) => (deps.get(id) ?? []).every((d) => placed.has(d)));
    if (level.length === 0) throw cycleError(registry, remaining, deps);
    level.forEach((id) => placed.add(id));
    remaining = remaining.filter((id) => !placed.has(id));
    levels.push(level);
  }
  return levels;
}

/** Start levels reversed: dependents stop before what they depend on. */
export function stopLevels(registry: Registry): string[][] {
  return startLevels(registry).reverse();
}

// Every remaining node has an unplaced dependency, so following one from any of them
// must eventually revisit a node.
function cycleError(registry: Registry, remaining: string[], deps: Map<string, string[]>): RegistryError {
  const open = new Set(remaining);
  const path: string[] = [];
  let at = remaining[0];
  while (!path.includes(at)) {
    path.push(at);
    at = (deps.get(at) ?? []).find((d) => open.has(d)) as string;
  }
  const cycle = path.slice(path.indexOf(at));
  // Start the report at the member loaded first, so it does not depend on where the walk began.
  const first = cycle.reduce((a, b) => (remaining.indexOf(b) < remaining.indexOf(a) ? b : a));
  const rotated = [...cycle.slice(cycle.indexOf(first)), ...cycle.slice(0, cycle.indexOf(first))];
  const entry = registry.get(first);
  return new RegistryError(`dependency cycle: ${[...rotated, first].join(' -> ')}`, {
    file: entry?.file,
    entry: first,
  });
}
