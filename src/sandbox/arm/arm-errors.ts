/**
 * ARM's error body, `{"error":{"code","message"}}`, with the codes and wording ARM uses.
 */
export class ArmError extends Error {
  override name = 'ArmError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** Regions the sandbox's providers claim, in ARM's NoRegisteredProviderFound message. */
const SUPPORTED_LOCATIONS = ['westeurope', 'northeurope', 'eastus', 'eastus2', 'westus2', 'uksouth', 'swedencentral'];

const e = (status: number, code: string, message: string, headers?: Record<string, string>) => new ArmError(status, code, message, headers);

export const armErrors = {
  missingApiVersion: () => e(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.'),
  invalidApiVersion: (v: string, supported: readonly string[]) =>
    e(400, 'InvalidApiVersionParameter', `The api-version '${v}' is invalid. The supported versions are '${supported.join(',')}'.`),
  noRegisteredProviderFound: (location: string, v: string, type: string, supported: readonly string[]) =>
    e(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location '${location}' and API version '${v}' for type '${type}'. The supported api-versions are '${supported.join(', ')}'. The supported locations are '${SUPPORTED_LOCATIONS.join(', ')}'.`,
    ),
  invalidResourceNamespace: (ns: string) => e(400, 'InvalidResourceNamespace', `The resource namespace '${ns}' is invalid.`),
  authorizationFailed: (client: string, objectId: string, action: string, scope: string) =>
    e(
      403,
      'AuthorizationFailed',
      `The client '${client}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    ),
  denyAssignmentAuthorizationFailed: (client: string, objectId: string, action: string, scope: string, denyName: string, denyId: string, denyScope: string) =>
    e(
      403,
      'DenyAssignmentAuthorizationFailed',
      `The client '${client}' with object id '${objectId}' has permission to perform action '${action}' on scope '${scope}'; however, the access is denied because of the deny assignment with name '${denyName}' and Id '${denyId.split('/').pop()}' at scope '${denyScope}'.`,
    ),
  subscriptionNotFound: (id: string) => e(404, 'SubscriptionNotFound', `The subscription '${id}' could not be found.`),
  resourceGroupNotFound: (name: string) => e(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`),
  resourceNotFound: (typeAndName: string, rg: string) =>
    e(404, 'ResourceNotFound', `The Resource '${typeAndName}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`),
  managementGroupNotFound: (id: string) => e(404, 'NotFound', `'/providers/Microsoft.Management/managementGroups/${id}' not found`),
  invalidResourceType: (type: string, ns: string, apiVersion: string) =>
    e(400, 'InvalidResourceType', `The resource type '${type}' could not be found in the namespace '${ns}' for api version '${apiVersion}'.`),
  invalidPath: (detail: string) => e(400, 'InvalidResourceId', detail),
  operationNotSupported: (method: string, type: string) =>
    e(405, 'OperationNotSupported', `The sandbox does not support ${method} on resources of type '${type}'.`),
  invalidRequestContent: (detail: string) => e(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${detail}'.`),
  /** ARM's throttling: the request was not processed (arm-throttling.ts). */
  throttled: (code: string, message: string, retryAfterSeconds: number) => e(429, code, message, { 'Retry-After': String(retryAfterSeconds) }),
  invalidParameter: (message: string) => e(400, 'InvalidParameter', message),
  locationRequired: () => e(400, 'LocationRequired', 'The location property is required for this definition.'),
  invalidResourceLocation: (name: string, existing: string, rg: string, wanted: string) =>
    e(400, 'InvalidResourceLocation', `The resource '${name}' already exists in location '${existing}' in resource group '${rg}'. A resource with the same name cannot be created in location '${wanted}'. Please select a new resource name.`),
  linkedAuthorizationFailed: (client: string, objectId: string, action: string, scope: string, linkedAction: string, linkedScope: string) =>
    e(
      403,
      'LinkedAuthorizationFailed',
      `The client '${client}' with object id '${objectId}' has permission to perform action '${action}' on scope '${scope}'; however, it does not have permission to perform action(s) '${linkedAction}' on the linked scope(s) '${linkedScope}' (respectively) or the linked scope(s) are invalid.`,
    ),
  /** Alerts Management: an alert id it does not hold (or not at this scope). */
  alertNotFound: (id: string) => e(404, 'ResourceNotFound', `The alert '${id}' could not be found.`),
  invalidFilter: (filter: string) =>
    e(400, 'UnsupportedQuery', `The filter '${filter}' is not supported. Supported filters are either 'atScope()' or 'principalId eq '{value}'' or 'assignedTo('{value}')'.`),
  invalidSkipToken: () => e(400, 'InvalidSkipToken', 'The skip token is invalid.'),
  roleAssignmentNotFound: (name: string) => e(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`),
  roleAssignmentExists: () => e(409, 'RoleAssignmentExists', 'The role assignment already exists.'),
  roleAssignmentUpdateNotPermitted: () =>
    e(400, 'RoleAssignmentUpdateNotPermitted', 'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.'),
  invalidRoleAssignmentId: (name: string) =>
    e(400, 'InvalidRoleAssignmentId', `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`),
  roleDefinitionDoesNotExist: (id: string) => e(404, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${id}' does not exist.`),
  principalNotFound: (id: string, tenant: string) =>
    e(
      400,
      'PrincipalNotFound',
      `Principal ${id} does not exist in the directory ${tenant}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
    ),
  unmatchedPrincipalType: (id: string, actual: string, given: string) =>
    e(400, 'UnmatchedPrincipalType', `The PrincipalId '${id}' has type '${actual}' , which is different from specified PrincipalType '${given}'.`),
  denyAssignmentNotFound: (name: string) => e(404, 'DenyAssignmentNotFound', `The deny assignment '${name}' is not found.`),
  operationNotFound: (id: string) => e(404, 'OperationNotFound', `The operation '${id}' could not be found.`),
};

/** 401s carry a WWW-Authenticate challenge naming the authority to get a token from. */
export function authenticationError(code: string, message: string, authorizationUri: string, description: string): ArmError {
  return new ArmError(401, code, message, {
    'WWW-Authenticate': `Bearer authorization_uri="${authorizationUri}", error="invalid_token", error_description="${description.replace(/"/g, "'")}"`,
  });
}
