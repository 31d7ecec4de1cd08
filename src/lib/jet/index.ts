/**
 * Jet (CloudyKit/jet v6, the template engine Wippy embeds) in TypeScript: a TemplateSet holds named templates
 * and renders them with data, with Jet's syntax, inheritance (extends, import, block, yield), includes,
 * ranges, pipes, built-in functions and HTML escaping of action output. See spec.md in this folder.
 */
export { TemplateSet, RenderError, cleanPath, type SetOptions, type RenderFailure } from './set';
export { DEFAULT_RENDER_LIMITS, type RenderLimits } from './runtime';
export { DEFAULT_DELIMITERS, type Delimiters } from './lexer';
export { JetError, type Value } from './values';
