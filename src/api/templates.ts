/**
 * What a running `template.set` offers the `templates` module: rendering its templates by name. The data is
 * already in Go's shape (Jet sees JSON-decoded values: float64 numbers, maps, slices), see src/lib/jet.
 */
import type { Value } from '../lib/jet';

export type TemplateRender =
  | { readonly ok: true; readonly text: string }
  /** `not_found`: no template of that name; `parse`: it does not parse; `render`: running it failed. */
  | { readonly ok: false; readonly failure: 'not_found' | 'parse' | 'render'; readonly message: string };

export interface TemplateSetFacet {
  /** Renders template `name` with `data`, against the set's templates as they are now. */
  render(name: string, data: ReadonlyMap<string, Value>): TemplateRender;
}

declare module './resources' {
  interface Facets {
    templates: TemplateSetFacet;
  }
}
