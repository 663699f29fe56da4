export declare class EgressBlockedError extends Error {
  readonly code: 'ERR_EGRESS_BLOCKED';
}
export declare function isLoopbackHost(host: string): boolean;
export declare function installNoEgressGuard(): void;
