-- meshca ledger, version 1.
-- Every record (certificate, denial, revocation, policy version) takes the
-- next number of one global sequence and is hash-chained: a BEFORE INSERT
-- trigger locks the one-row chain_head, sets seq = head + 1, prev_hash = the
-- head's hash and hash = sha256(prev_hash || table '|' seq '|' payload), where
-- payload is the row as jsonb text without seq, prev_hash and hash.
-- `meshcad ledger verify` recomputes every hash from the stored columns.
-- Ledger tables are append-only: triggers refuse UPDATE, DELETE, TRUNCATE.

CREATE TABLE chain_head (
    id        boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq       bigint NOT NULL,
    hash      bytea NOT NULL
);
INSERT INTO chain_head (id, seq, hash) VALUES (true, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE certificates (
    seq              bigint PRIMARY KEY,
    serial           bigint NOT NULL UNIQUE CHECK (serial > 0),
    key_id           text NOT NULL,
    subject          text NOT NULL,
    issuer           text NOT NULL,
    email            text,
    role             text NOT NULL,
    principals       text[] NOT NULL CHECK (cardinality(principals) BETWEEN 1 AND 256),
    key_type         text NOT NULL,
    key_fingerprint  text NOT NULL,
    valid_after      timestamptz NOT NULL,
    valid_before     timestamptz NOT NULL CHECK (valid_before > valid_after),
    critical_options jsonb NOT NULL,
    extensions       text[] NOT NULL,
    ca_fingerprint   text NOT NULL,
    client_address   text NOT NULL,
    request_id       text NOT NULL,
    reason           text,
    policy_version   text NOT NULL,
    token_id         text NOT NULL,
    certificate      text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    prev_hash        bytea NOT NULL,
    hash             bytea NOT NULL
);
CREATE INDEX certificates_subject ON certificates (subject, valid_before);
CREATE INDEX certificates_valid_before ON certificates (valid_before);
CREATE INDEX certificates_created_at ON certificates (created_at);
CREATE INDEX certificates_key_fingerprint ON certificates (key_fingerprint);
CREATE INDEX certificates_principals ON certificates USING gin (principals);

CREATE TABLE denials (
    seq                  bigint PRIMARY KEY,
    subject              text,
    issuer               text,
    email                text,
    requested_principals text[] NOT NULL,
    role                 text,
    reason               text NOT NULL,
    key_fingerprint      text,
    client_address       text NOT NULL,
    request_id           text NOT NULL,
    policy_version       text,
    created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    prev_hash            bytea NOT NULL,
    hash                 bytea NOT NULL
);
CREATE INDEX denials_created_at ON denials (created_at);

CREATE TABLE policy_versions (
    seq        bigint PRIMARY KEY,
    version    text NOT NULL UNIQUE,
    policy     text NOT NULL,
    loaded_by  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    prev_hash  bytea NOT NULL,
    hash       bytea NOT NULL
);

CREATE TABLE revocations (
    seq         bigint PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('serial', 'key_id', 'subject', 'key_fingerprint')),
    value       text NOT NULL,
    reason      text NOT NULL,
    revoked_by  text NOT NULL,
    block_until timestamptz,
    request_id  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL
);
CREATE INDEX revocations_kind_value ON revocations (kind, value);

-- Not part of the chain: a counter of certificates minted per ID token.
CREATE TABLE token_uses (
    issuer     text NOT NULL,
    token_id   text NOT NULL,
    uses       integer NOT NULL,
    first_used timestamptz NOT NULL DEFAULT now(),
    last_used  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, token_id)
);

CREATE FUNCTION ledger_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET timezone = 'UTC' SET search_path = public AS $$
DECLARE
    head_seq  bigint;
    head_hash bytea;
BEGIN
    SELECT seq, hash INTO head_seq, head_hash FROM chain_head WHERE id FOR UPDATE;
    NEW.seq := head_seq + 1;
    NEW.prev_hash := head_hash;
    NEW.created_at := clock_timestamp();
    NEW.hash := sha256(head_hash || convert_to(TG_TABLE_NAME || '|' || NEW.seq || '|' ||
        ((to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash')::text), 'UTF8'));
    UPDATE chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id;
    RETURN NEW;
END $$;

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the meshca ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['certificates', 'denials', 'policy_versions', 'revocations'] LOOP
        EXECUTE format('CREATE TRIGGER %I_chain BEFORE INSERT ON %I FOR EACH ROW EXECUTE FUNCTION ledger_chain()', t, t);
        EXECUTE format('CREATE TRIGGER %I_append_only BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ledger_append_only()', t, t);
        EXECUTE format('CREATE TRIGGER %I_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()', t, t);
    END LOOP;
END $$;
