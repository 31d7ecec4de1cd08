/**
 * Runs `contract.binding` entries (configuration kinds: made at boot and whenever the registry adds one). A
 * binding is accepted only when it matches its contracts, as Wippy's contract manager accepts it: every
 * contract it names is a definition, every method of each contract is bound, no method is bound that the
 * contract lacks, and no earlier binding (in registry order) is already the default for a contract it marks
 * default. A refused binding fails with a one-line reason and is not offered to the `contract` module.
 */
import '../../api/contract';
import { bindingProblem, type ContractBindingEntry, type Registry } from '../../registry';
import { serviceDefinition } from '../service';

export const contractService = serviceDefinition<ContractBindingEntry>({
  kinds: ['contract.binding'],
  start: (entry, ctx) => {
    const facet = { binding: entry };
    const check = (registry: Registry, binding: ContractBindingEntry): void => {
      const problem = bindingProblem(binding, registry);
      if (problem !== null) throw new Error(`contract binding ${binding.id}: ${problem}`);
      facet.binding = binding;
    };
    check(ctx.store.current, entry);
    return {
      facets: { contract: facet },
      // A change that breaks the binding makes the runtime restart it, and the restart fails with the reason.
      registryChanged: (registry, changed) => check(registry, changed as ContractBindingEntry),
      stop: async () => undefined,
    };
  },
});
