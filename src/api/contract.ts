/**
 * What a running `contract.binding` offers the `contract` module: the binding as it is now, once checked
 * against the contract definitions it names (src/services/contract). A binding that does not match its
 * contracts is not running, so `resources.get(id, 'contract')` answers an error for it.
 */
import type { ContractBindingEntry } from '../registry';

export interface ContractBindingFacet {
  /** The binding's entry in the current registry version. */
  readonly binding: ContractBindingEntry;
}

declare module './resources' {
  interface Facets {
    contract: ContractBindingFacet;
  }
}
