/**
 * The built-in roles shipped in builtin-role-catalog.json: the ones Elevate's policies name
 * (policies/levels.yaml) and the usual least-privilege alternatives suggestions point at.
 * The full catalogue of 928 roles can be supplied with `--roles` / a roles file instead.
 */
export const BUILTIN_CATALOG_ROLE_NAMES: readonly string[] = [
  'Reader',
  'Contributor',
  'Owner',
  'User Access Administrator',
  'Role Based Access Control Administrator',
  'Monitoring Reader',
  'Monitoring Contributor',
  'Log Analytics Reader',
  'Log Analytics Contributor',
  'Container Apps Contributor',
  'Container Apps Operator',
  'Container Apps ManagedEnvironments Contributor',
  'Container Apps Jobs Contributor',
  'Container Apps Jobs Operator',
  'Virtual Machine Contributor',
  'Virtual Machine User Login',
  'Virtual Machine Administrator Login',
  'Azure Kubernetes Service Contributor Role',
  'Azure Kubernetes Service Cluster User Role',
  'Azure Kubernetes Service Cluster Admin Role',
  'Azure Kubernetes Service RBAC Reader',
  'Website Contributor',
  'Web Plan Contributor',
  'Storage Account Contributor',
  'Storage Blob Data Reader',
  'Storage Blob Data Contributor',
  'SQL Server Contributor',
  'SQL DB Contributor',
  'Key Vault Reader',
  'Key Vault Contributor',
  'Key Vault Secrets User',
  'Network Contributor',
];
