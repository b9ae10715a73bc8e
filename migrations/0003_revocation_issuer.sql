-- meshca ledger, version 3: a subject is named by its issuer and its sub.
-- OpenID Connect makes `sub` unique only per issuer, so a subject revocation
-- (and its block) applies to one (issuer, subject) pair.  meshcad fills
-- `issuer` for every new subject revocation and leaves it NULL for the other
-- kinds.  Subject revocations recorded before this migration keep issuer NULL,
-- which means "any issuer": they go on revoking and blocking that `sub` at
-- every issuer, as they did when they were made (the ledger is append-only, so
-- they are not rewritten, and the issuer they meant cannot be derived safely).
-- Touches only the revocations table, so it applies on top of 0001 alone.

ALTER TABLE revocations ADD COLUMN issuer text;
ALTER TABLE revocations ADD CONSTRAINT revocations_issuer_subject_only
    CHECK (issuer IS NULL OR kind = 'subject');
CREATE INDEX revocations_subject_issuer ON revocations (value, issuer)
    WHERE kind = 'subject';
