export * from './policy';
export { ExprPolicy, exprPolicy } from './expr-policy';
export { Scope } from './scope';
export { isAllowed, overlaySecurity, type SecurityContext } from './context';
