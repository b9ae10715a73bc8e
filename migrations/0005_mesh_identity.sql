-- meshca ledger, version 5: mesh identity (issue #16).
--
-- Host certificates (OpenSSH certificate type 2, signed by a ca_keys entry
-- with "use": "host") are granted to workloads by the SPIFFE ID of their
-- X.509-SVID and recorded here.  They join the transparency log exactly as
-- the other ledger tables do since 0002: meshcad writes each row with its
-- canonical entry (type "host_certificate") and the entry's HMAC under
-- ledger.mac_key, the ledger_stamp() trigger stamps the writing
-- transaction's xid8, seq comes from ledger_seq, and the integrator gives
-- the row a log index (its log type code is 4).  Append-only like the rest.
--
-- A user certificate issued to a workload (a JWT-SVID or X.509-SVID rather
-- than a person's ID token) is an ordinary certificates row that also names
-- the workload's SPIFFE ID; the column is NULL for every other row, and so
-- is absent from their entries.

CREATE TABLE host_certificates (
    seq             bigint PRIMARY KEY DEFAULT pg_catalog.nextval('public.ledger_seq'),
    serial          bigint NOT NULL UNIQUE CHECK (serial > 0),
    key_id          text NOT NULL,
    spiffe_id       text NOT NULL,
    principals      text[] NOT NULL CHECK (cardinality(principals) BETWEEN 1 AND 256),
    key_type        text NOT NULL,
    key_fingerprint text NOT NULL,
    valid_after     timestamptz NOT NULL,
    valid_before    timestamptz NOT NULL CHECK (valid_before > valid_after),
    ca_fingerprint  text NOT NULL,
    client_address  text NOT NULL,
    request_id      text NOT NULL,
    policy_version  text NOT NULL,
    certificate     text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    entry           bytea,
    mac             bytea,
    xid             xid8
);
CREATE INDEX host_certificates_xid ON host_certificates (xid, seq);
CREATE INDEX host_certificates_spiffe_id ON host_certificates (spiffe_id, valid_before);
CREATE INDEX host_certificates_created_at ON host_certificates (created_at);

CREATE TRIGGER host_certificates_stamp BEFORE INSERT ON host_certificates
    FOR EACH ROW EXECUTE FUNCTION public.ledger_stamp();
CREATE TRIGGER host_certificates_append_only BEFORE UPDATE OR DELETE ON host_certificates
    FOR EACH ROW EXECUTE FUNCTION public.ledger_append_only();
CREATE TRIGGER host_certificates_no_truncate BEFORE TRUNCATE ON host_certificates
    FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_append_only();

ALTER TABLE certificates ADD COLUMN spiffe_id text;
