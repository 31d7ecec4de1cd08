/**
 * `security.policy.expr`: a policy whose condition is one expr-lang expression (src/lib/expr, the language
 * Wippy compiles these with), seeing `actor` (`actor.id`, `actor.meta`), `action`, `resource` and `meta`.
 * As in Wippy, a run error or a result other than true means the policy has no say.
 */
import { compile, ExprError, type Program, type Value } from '../expr';
import { matchesFilter, parseEffect, parseFilter, PolicyError, type Actor, type Decision, type Effect, type Filter, type Meta, type Policy } from './policy';

/** Plain data (actor and call metadata) as the values an expression computes with. */
function exprValue(x: unknown, depth = 0): Value {
  if (x === null || x === undefined || depth > 32) return null;
  if (typeof x === 'string' || typeof x === 'boolean' || typeof x === 'number') return x;
  if (Array.isArray(x)) return x.map((v) => exprValue(v, depth + 1));
  if (typeof x === 'object' && !(x instanceof Uint8Array)) {
    const m = new Map<string, Value>();
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) m.set(k, exprValue(v, depth + 1));
    return m;
  }
  return null;
}

/** An actor as the expression sees it, made once per actor (actors are immutable). */
const actorValues = new WeakMap<Actor, Value>();

function actorValue(actor: Actor): Value {
  let v = actorValues.get(actor);
  if (v === undefined) {
    v = new Map<string, Value>([['id', actor.id], ['meta', exprValue(actor.meta)]]);
    actorValues.set(actor, v);
  }
  return v;
}

export class ExprPolicy implements Policy {
  constructor(
    readonly id: string,
    readonly actions: Filter,
    readonly resources: Filter,
    readonly effect: Effect,
    private readonly program: Program,
  ) {}

  evaluate(actor: Actor, action: string, resource: string, meta: Meta): Decision {
    if (!matchesFilter(this.actions, action) || !matchesFilter(this.resources, resource)) return 'undefined';
    const env = new Map<string, Value>([
      ['actor', actorValue(actor)],
      ['action', action],
      ['resource', resource],
      ['meta', exprValue(meta)],
    ]);
    try {
      return this.program.run(env) === true ? this.effect : 'undefined';
    } catch {
      return 'undefined';
    }
  }
}

/** A `security.policy.expr` entry's `policy:` mapping, compiled; a PolicyError names what is wrong. */
export function exprPolicy(id: string, definition: Record<string, unknown>): ExprPolicy {
  const effect = parseEffect(definition.effect);
  const actions = parseFilter(definition.actions, 'actions');
  const resources = parseFilter(definition.resources, 'resources');
  const source = definition.expression;
  if (typeof source !== 'string' || source.trim() === '') throw new PolicyError('expression is required');
  let program: Program;
  try {
    program = compile(source);
  } catch (e) {
    throw new PolicyError(`expression does not compile: ${e instanceof ExprError ? e.message.split('\n')[0] : String(e)}`);
  }
  return new ExprPolicy(id, actions, resources, effect, program);
}
