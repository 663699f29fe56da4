/**
 * Typed errors of the RBAC capability. Messages are one line and name the offending input
 * (file, entry, option) so the CLI and HTTP layers can show them as they are.
 */

/** A request, pattern or scope that is malformed (bad action name, traversal in a scope...). */
export class RbacInputError extends Error {
  override name = 'RbacInputError';
}

/** An ARM request path that does not map to an operation (non-ARM shape, traversal, encoded slash...). */
export class ArmPathError extends Error {
  override name = 'ArmPathError';
}

/** Authorization data (role definitions, assignments, deny assignments, groups, hierarchy) that fails validation. */
export class RbacDataError extends Error {
  override name = 'RbacDataError';
}
