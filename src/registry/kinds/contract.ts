/**
 * `contract.definition` and `contract.binding` (Wippy's api/service/di/config.go): a typed interface (its
 * methods, with optional input and output schemas) and the entries that implement one or more interfaces by
 * naming a function for each method. What a definition alone can get wrong (an empty or repeated method name,
 * a schema without its format) is a load error here; whether a binding matches its contracts is checked when
 * the binding's service starts (src/services/contract), as Wippy checks it on registration.
 */
import { describe, isMapping } from '../errors';
import { Fields } from '../fields';
import { kindDefinition, serviceBase } from '../kind';
import { qualify, type ServiceEntry } from '../types';
import type { Registry } from '../registry';

export interface ContractSchema {
  readonly format: string;
  /** The schema as written (any YAML value), or null. */
  readonly definition: unknown;
}

export interface ContractMethod {
  readonly name: string;
  readonly description: string;
  readonly inputSchemas: readonly ContractSchema[];
  readonly outputSchemas: readonly ContractSchema[];
}

export interface ContractDefinitionEntry extends ServiceEntry {
  readonly kind: 'contract.definition';
  readonly methods: readonly ContractMethod[];
}

export interface BoundContract {
  /** The full id of the contract definition. */
  readonly contract: string;
  /** Method name → full id of the function that implements it. */
  readonly methods: ReadonlyMap<string, string>;
  /** Context keys a call needs, in the open scope or the caller's context. */
  readonly contextRequired: readonly string[];
  readonly isDefault: boolean;
}

export interface ContractBindingEntry extends ServiceEntry {
  readonly kind: 'contract.binding';
  readonly contracts: readonly BoundContract[];
}

/** A schema with a definition but no format is refused, as Wippy's manager refuses it. */
function schemas(f: Fields, key: string, method: string): ContractSchema[] {
  return f.list(key).map((raw, i) => {
    const where = `${f.path(key)}[${i}]`;
    if (!isMapping(raw)) throw f.site.error(`field "${where}" must be a mapping, got ${describe(raw)}`);
    const s = new Fields(f.site, raw, where);
    const format = s.has('format') ? s.requiredString('format') : '';
    const definition = raw.definition ?? null;
    const empty = definition === null || (isMapping(definition) && Object.keys(definition).length === 0) || definition === '';
    if (!empty && format === '') throw f.site.error(`field "${where}": the schema of method "${method}" has a definition but no format`);
    return { format, definition };
  });
}

export const contractDefinitionKind = kindDefinition<ContractDefinitionEntry>({
  kinds: ['contract.definition'],
  parse: (f, base) => {
    const seen = new Set<string>();
    const methods = f.list('methods').map((raw, i): ContractMethod => {
      const where = `methods[${i}]`;
      if (!isMapping(raw)) throw f.site.error(`field "${where}" must be a mapping, got ${describe(raw)}`);
      const m = new Fields(f.site, raw, where);
      if (!m.has('name') || raw.name === '') throw f.site.error(`field "${where}.name": method name cannot be empty`);
      const name = m.requiredString('name');
      if (seen.has(name)) throw f.site.error(`field "${where}.name": duplicate method name "${name}"`);
      seen.add(name);
      const description = m.has('description') ? m.requiredString('description') : '';
      return { name, description, inputSchemas: schemas(m, 'input_schemas', name), outputSchemas: schemas(m, 'output_schemas', name) };
    });
    return { ...serviceBase(f, base, false), kind: 'contract.definition', methods };
  },
});

export const contractBindingKind = kindDefinition<ContractBindingEntry>({
  kinds: ['contract.binding'],
  parse: (f, base) => {
    const list = f.list('contracts');
    if (list.length === 0) throw f.site.error('field "contracts": a binding must bind at least one contract');
    const contracts = list.map((raw, i): BoundContract => {
      const where = `contracts[${i}]`;
      if (!isMapping(raw)) throw f.site.error(`field "${where}" must be a mapping, got ${describe(raw)}`);
      const c = new Fields(f.site, raw, where);
      const methods = new Map<string, string>();
      for (const [name, id] of Object.entries(c.stringMap('methods'))) methods.set(name, qualify(id, base.namespace));
      return {
        contract: qualify(c.requiredString('contract'), base.namespace),
        methods,
        contextRequired: c.stringList('context_required'),
        isDefault: c.boolean('default', false),
      };
    });
    const refs = contracts.map((c, i) => ({ field: `contracts[${i}].contract`, id: c.contract, kinds: ['contract.definition'] }));
    return { ...serviceBase(f, base, false, refs), kind: 'contract.binding', contracts };
  },
});

/** Why `binding` does not match the contracts of `registry`, or null when it does. */
export function bindingProblem(binding: ContractBindingEntry, registry: Registry): string | null {
  for (const bound of binding.contracts) {
    const entry = registry.get(bound.contract);
    if (entry === undefined || entry.kind !== 'contract.definition') return `binding references undefined contract ${bound.contract}`;
    const definition = entry as ContractDefinitionEntry;
    const defined = new Set(definition.methods.map((m) => m.name));
    for (const name of defined) {
      if (!bound.methods.has(name)) return `method "${name}" of contract ${bound.contract} is not bound`;
    }
    for (const name of bound.methods.keys()) {
      if (!defined.has(name)) return `bound method "${name}" is not defined in contract ${bound.contract}`;
    }
    if (bound.isDefault) {
      const earlier = defaultBindingOf(bound.contract, registry);
      if (earlier !== null && earlier !== binding.id) return `contract ${bound.contract} already has default binding ${earlier}`;
    }
  }
  return null;
}

/** The first binding in registry order that marks itself the default for `contract`. */
export function defaultBindingOf(contract: string, registry: Registry): string | null {
  for (const e of registry.entries()) {
    if (e.kind !== 'contract.binding') continue;
    if ((e as ContractBindingEntry).contracts.some((c) => c.contract === contract && c.isDefault)) return e.id;
  }
  return null;
}
