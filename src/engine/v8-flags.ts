/**
 * Must be imported before Fengari is loaded. Fengari implements yield as a JS throw; with V8's Sparkplug
 * baseline compiler the steady-state cost of that throw doubles after ~550k yields (notes/fengari.md §2.2).
 */
import { setFlagsFromString } from 'v8';

setFlagsFromString('--no-sparkplug');
