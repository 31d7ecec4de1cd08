export { ServeMux, RouteConflict, cleanPath, type MatchResult, type Route } from './mux';
export { parsePattern, relate, conflicts, PatternError, type Pattern, type Relation, type Segment } from './pattern';
