/** Types of bench/floor/fengari.js, for the tests. */
export interface FloorState {
  /** Calls a workload of bench/floor/workloads.lua; its result table (string keys, numbers). */
  call(name: string, ...args: Array<number | Record<string, number>>): Record<string, number>;
}
export function floorState(fengari: object, sources?: Partial<Record<keyof typeof SOURCES, string>>): FloorState;
export const SOURCES: { relay: string; worker: string; bench: string; client: string };
export const ROOT: string;
