-- meshca ledger, version 7: who actually logged in (issue #18).
--
-- Hosts ship sshd's certificate logins and refusals (meshca host-report,
-- POST /v1/logins); each is a ledger record like the others: the canonical
-- entry (type "login") and its MAC written by meshcad, the writing
-- transaction's xid stamped by ledger_stamp(), seq from ledger_seq, and the
-- transparency log's integrator takes it in as log type code 7.
--
-- A host may send a line twice (a retry after a lost reply): the login's
-- identity is (host, line_id), where line_id is the host's hash of its
-- journal cursor or of the log line and its offset, and a duplicate is
-- dropped by ON CONFLICT DO NOTHING.
--
-- serial is the certificate serial as sshd logged it (decimal, up to 2^64-1:
-- another CA's serial may not fit bigint).  issued_serial is set by the
-- database at insert time from the certificates table: the serial when this
-- CA issued a certificate with that serial under that CA key, else NULL;
-- ca_known says whether any certificate was ever issued under the CA key the
-- host trusted.  Like revocations.known (0004) these are the ledger's truth,
-- not the caller's, and are not part of the entry.

CREATE TABLE logins (
    seq              bigint PRIMARY KEY DEFAULT nextval('ledger_seq'),
    host             text NOT NULL,
    line_id          text NOT NULL,
    at               timestamptz NOT NULL,
    account          text NOT NULL,
    source_address   text,
    source_port      integer,
    result           text NOT NULL CHECK (result IN
                         ('accepted', 'revoked', 'wrong_principal', 'expired', 'refused')),
    serial           text CHECK (serial ~ '^[0-9]{1,20}$'),
    key_id           text,
    key_fingerprint  text,
    ca_fingerprint   text,
    krl_version      bigint,
    krl_generated_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    issued_serial    bigint,
    ca_known         boolean,
    entry            bytea,
    mac              bytea,
    xid              xid8,
    UNIQUE (host, line_id)
);
CREATE INDEX logins_xid ON logins (xid, seq);
CREATE INDEX logins_at ON logins (at);
CREATE INDEX logins_issued_serial ON logins (issued_serial);
-- The report's refusals and the logins meshca cannot account for are few:
-- found without reading every login.
CREATE INDEX logins_refused_at ON logins (at) WHERE result <> 'accepted';
CREATE INDEX logins_unknown_at ON logins (at) WHERE issued_serial IS NULL;

-- A host's last report: when it last shipped, and which KRL it had then (the
-- KRL's version and generated date, read from the host's KRL file).  Not a
-- ledger table: one row per host, overwritten.
CREATE TABLE host_reports (
    host             text PRIMARY KEY,
    last_report_at   timestamptz NOT NULL,
    krl_version      bigint,
    krl_generated_at timestamptz,
    address          text
);

CREATE INDEX certificates_ca_fingerprint ON certificates (ca_fingerprint);

CREATE FUNCTION login_known() RETURNS trigger
LANGUAGE plpgsql SET search_path = public AS $$
BEGIN
    NEW.issued_serial := (SELECT c.serial FROM certificates c
        WHERE NEW.serial ~ '^[0-9]{1,19}$'
          AND NEW.serial::numeric <= 9223372036854775807
          AND c.serial = NEW.serial::bigint
          AND c.ca_fingerprint IS NOT DISTINCT FROM NEW.ca_fingerprint);
    NEW.ca_known := NEW.ca_fingerprint IS NOT NULL AND EXISTS (SELECT 1
        FROM certificates c WHERE c.ca_fingerprint = NEW.ca_fingerprint);
    RETURN NEW;
END $$;

CREATE TRIGGER logins_0_known BEFORE INSERT ON logins
    FOR EACH ROW EXECUTE FUNCTION login_known();
CREATE TRIGGER logins_stamp BEFORE INSERT ON logins
    FOR EACH ROW EXECUTE FUNCTION ledger_stamp();
CREATE TRIGGER logins_append_only BEFORE UPDATE OR DELETE ON logins
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER logins_no_truncate BEFORE TRUNCATE ON logins
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
