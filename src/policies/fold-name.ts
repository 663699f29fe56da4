/**
 * A JSON property name as ARM's resource providers compare it: .NET's OrdinalIgnoreCase, which
 * upper-cases (so 'ı' -> 'I', 'ſ' -> 'S', the Kelvin sign -> 'K'); lower-cased again so rules are
 * written in lower case. https://learn.microsoft.com/en-us/dotnet/api/system.stringcomparison#fields
 */
export const foldName = (name: string): string => name.toUpperCase().toLowerCase();
