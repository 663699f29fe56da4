/**
 * The data the RBAC evaluator works on, in Azure's own vocabulary. Shapes follow ARM's
 * `properties` objects (and `az role definition list`), with ids kept as ARM gives them.
 */

export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
  condition?: string | null;
  conditionVersion?: string | null;
}

export interface RoleDefinition {
  /** Full ARM id, e.g. /providers/Microsoft.Authorization/roleDefinitions/acdd72a7-... (or scoped). */
  id: string;
  /** The role definition GUID. */
  name: string;
  roleName: string;
  roleType?: string;
  description?: string;
  permissions: Permission[];
  assignableScopes: string[];
}

export interface RoleAssignment {
  id: string;
  name?: string;
  scope: string;
  /** Full ARM id of the role definition, possibly scoped to a subscription; matched by trailing GUID. */
  roleDefinitionId: string;
  principalId: string;
  principalType?: string;
  description?: string | null;
  condition?: string | null;
  conditionVersion?: string | null;
}

export interface DenyPrincipal {
  id: string;
  type?: string;
}

export interface DenyAssignment {
  id: string;
  denyAssignmentName?: string;
  scope: string;
  permissions: Permission[];
  principals: DenyPrincipal[];
  excludePrincipals?: DenyPrincipal[];
  doNotApplyToChildScopes?: boolean;
  isSystemProtected?: boolean;
}

/** Everything Azure would consult to answer one check. */
export interface AuthorizationState {
  roles: RoleDefinition[];
  assignments: RoleAssignment[];
  denyAssignments: DenyAssignment[];
  /** principal id -> ids of the groups it is a (transitive) member of */
  groups: Record<string, string[]>;
  /** subscription id -> management group ids above it, nearest first (tenant root group last) */
  hierarchy: Record<string, string[]>;
}

export interface CheckRequest {
  principalId: string;
  action: string;
  scope: string;
  /** true when `action` is a data action (matched against dataActions/notDataActions) */
  dataAction?: boolean;
}

export interface GrantExplanation {
  assignmentId: string;
  assignmentScope: string;
  roleDefinitionId: string;
  roleName: string;
  /** the principal the assignment is made to: the caller itself or one of its groups */
  viaPrincipalId: string;
  viaGroup: boolean;
  /** the Actions/DataActions entry that matched */
  matchedPattern: string;
  /** set when an ABAC condition (on the assignment or the role's permission block) was found to hold for this action */
  conditionNote?: string;
}

export interface DenyExplanation {
  denyAssignmentId: string;
  denyAssignmentName?: string;
  scope: string;
  matchedPattern: string;
  /** the principal the deny names: the caller, one of its groups, or the all-principals id */
  viaPrincipalId: string;
}

export interface ConditionalExplanation extends GrantExplanation {
  condition: string;
  conditionVersion?: string | null;
  /** why it was not counted as a grant */
  note: string;
}

export interface RoleSuggestion {
  roleDefinitionId: string;
  roleName: string;
  /** breadth of what the role grants (an early wildcard weighs most); suggestions are sorted smallest first */
  size: number;
  /** built-in roles are listed before custom ones */
  builtIn: boolean;
}

export type DecisionReason =
  | 'granted'
  | 'denied-by-deny-assignment'
  | 'no-matching-assignment'
  | 'only-conditional-grants';

export interface Decision {
  allowed: boolean;
  reason: DecisionReason;
  /** human-readable one-line explanation */
  message: string;
  grantedBy: GrantExplanation[];
  deniedBy: DenyExplanation[];
  /** grants whose ABAC condition the engine cannot evaluate; never counted as allowed */
  conditionalGrants: ConditionalExplanation[];
  /** when not allowed (and not denied): catalog roles that would grant the action at that scope, built-in first, smallest first; the entries are frozen objects shared between decisions */
  wouldBeGrantedBy: RoleSuggestion[];
}

export interface EvaluatorOptions {
  /** maximum number of `wouldBeGrantedBy` entries; 0 turns suggestions off (default 10) */
  suggestionLimit?: number;
  /** roles to draw suggestions from (default: `state.roles`); a frozen catalog's suggestion index is shared by every evaluator over it */
  catalog?: readonly RoleDefinition[];
  /**
   * Whether to keep what a check derived for a scope (its ancestry and which of its ancestors
   * carry grants or denies) for the next check at that scope. Default: always. A caller whose
   * scopes are mostly asked about once (an agent naming each resource once) keeps only those
   * asked again, so the others are not held for the collector to copy.
   */
  keepScope?: (scope: string) => boolean;
}

export interface Evaluator {
  check(req: CheckRequest): Decision;
  /** problems found while compiling the state that make some data ineffective (e.g. an assignment of an unknown role) */
  readonly warnings: readonly string[];
}
