-- The chain's anchor (where it starts after retention removed older entries) is signed by the
-- retention run that moved it, with the audit checkpoint key: {throughSeq, lastHash, archiveRef}
-- under "elevate-audit-anchor/v1" (src/audit/audit-anchor-seal.ts), stored as JSON
-- {"keyId", "signature"}. Someone who can write the database but does not hold the key could
-- otherwise delete entries up to any signed checkpoint, move the anchor onto it, and verification
-- accepted the shortened log. NULL: an anchor set by a build before this column (verification
-- says so; src/audit/audit-checkpoint-verify.ts).
ALTER TABLE audit_anchor ADD COLUMN seal TEXT;
