-- meshca ledger, version 2: a transparency log instead of a hash chain.
--
-- Records stay in their tables, but no longer pass through a global lock:
-- meshcad writes each record with its canonical entry (RFC 8785 JSON) and an
-- HMAC-SHA256 of the entry under ledger.mac_key, in plain batched INSERTs.
-- One replica at a time (the integrator, under an advisory lock) gives
-- committed records consecutive log indexes, in the order of their writing
-- transaction ids (xid8, stamped by a trigger) then seq, keeps the Merkle
-- tree as C2SP tiles and publishes signed checkpoints.  See README "Ledger".
--
-- The v1 chain is verified here first; if it does not verify the migration
-- fails and nothing changes.  The v1 records then become the first entries
-- of the log, in their old seq order (the integrator derives their entries
-- from their columns; they have no MAC: the verified chain and the first
-- checkpoint vouch for them).

SET LOCAL timezone = 'UTC';

DO $$
DECLARE
    r         record;
    prev      bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
    expect    bigint := 1;
    head_seq  bigint;
    head_hash bytea;
BEGIN
    FOR r IN
        SELECT seq, 'certificates' AS t, prev_hash, hash,
               (to_jsonb(x) - 'seq' - 'prev_hash' - 'hash')::text AS p FROM public.certificates x
        UNION ALL SELECT seq, 'denials', prev_hash, hash,
               (to_jsonb(x) - 'seq' - 'prev_hash' - 'hash')::text FROM public.denials x
        UNION ALL SELECT seq, 'policy_versions', prev_hash, hash,
               (to_jsonb(x) - 'seq' - 'prev_hash' - 'hash')::text FROM public.policy_versions x
        UNION ALL SELECT seq, 'revocations', prev_hash, hash,
               (to_jsonb(x) - 'seq' - 'prev_hash' - 'hash')::text FROM public.revocations x
        ORDER BY 1
    LOOP
        IF r.seq <> expect THEN
            RAISE EXCEPTION 'ledger v1 does not verify: record % is missing (next found: % in %)',
                expect, r.seq, r.t;
        END IF;
        IF r.prev_hash <> prev OR
           sha256(prev || convert_to(r.t || '|' || r.seq || '|' || r.p, 'UTF8')) <> r.hash THEN
            RAISE EXCEPTION 'ledger v1 does not verify: record % (%) was changed after it was written',
                r.seq, r.t;
        END IF;
        prev := r.hash;
        expect := expect + 1;
    END LOOP;
    SELECT seq, hash INTO head_seq, head_hash FROM public.chain_head WHERE id;
    IF head_seq <> expect - 1 OR head_hash <> prev THEN
        RAISE EXCEPTION 'ledger v1 does not verify: the chain head is record % but the last record is %',
            head_seq, expect - 1;
    END IF;
END $$;

-- What the v1 chain ended at, kept for the record.
CREATE TABLE log_v1 (
    id        boolean PRIMARY KEY DEFAULT true CHECK (id),
    head_seq  bigint NOT NULL,
    head_hash bytea NOT NULL
);
INSERT INTO log_v1 SELECT true, seq, hash FROM public.chain_head;

DROP TRIGGER certificates_chain ON public.certificates;
DROP TRIGGER denials_chain ON public.denials;
DROP TRIGGER policy_versions_chain ON public.policy_versions;
DROP TRIGGER revocations_chain ON public.revocations;
DROP FUNCTION public.ledger_chain();
DROP TABLE public.chain_head;

CREATE SEQUENCE public.ledger_seq;
SELECT setval('public.ledger_seq', (SELECT head_seq + 1 FROM public.log_v1), false);

-- The writing transaction's id, stamped whatever the inserter says: the
-- integrator only takes rows whose transaction ended (xid below every
-- running one), so a late commit can never be skipped.
CREATE FUNCTION public.ledger_stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.xid := pg_catalog.pg_current_xact_id();
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION public.ledger_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'the meshca ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['certificates', 'denials', 'policy_versions', 'revocations'] LOOP
        EXECUTE format('ALTER TABLE public.%I ALTER seq SET DEFAULT pg_catalog.nextval(''public.ledger_seq'')', t);
        EXECUTE format('ALTER TABLE public.%I ALTER prev_hash DROP NOT NULL, ALTER hash DROP NOT NULL', t);
        EXECUTE format('ALTER TABLE public.%I ADD COLUMN entry bytea, ADD COLUMN mac bytea, ADD COLUMN xid xid8', t);
        EXECUTE format('CREATE INDEX %I ON public.%I (xid, seq)', t || '_xid', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON public.%I FOR EACH ROW EXECUTE FUNCTION public.ledger_stamp()', t || '_stamp', t);
    END LOOP;
END $$;

-- The hot path pays for every index: no query needs a GIN on principals
-- (the reports filter by time first).
DROP INDEX public.certificates_principals;

-- The log.  log_state is its one-row head, written only by the integrator
-- (under the advisory lock, compared-and-set on size).
CREATE TABLE log_state (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    size        bigint NOT NULL,
    xid         xid8 NOT NULL,   -- the next record is after (xid, seq)
    seq         bigint NOT NULL,
    legacy_done boolean NOT NULL
);
INSERT INTO log_state VALUES (true, 0, '0', 0, false);

-- Log index -> record.  entry is set only for v1 records (the others keep
-- theirs in their own row).
CREATE TABLE log_leaves (
    idx   bigint PRIMARY KEY,
    seq   bigint NOT NULL UNIQUE,
    entry bytea
);

-- C2SP tlog-tiles hash tiles (height 8): the hashes of tree level 8 * level,
-- tile idx; a partial tile grows until it holds 256.
CREATE TABLE log_tiles (
    level  integer NOT NULL,
    idx    bigint NOT NULL,
    hashes bytea NOT NULL,
    PRIMARY KEY (level, idx)
);

-- Every checkpoint ever published.
CREATE TABLE log_checkpoints (
    size       bigint PRIMARY KEY,
    root       bytea NOT NULL,
    note       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Rows the integrator refused (no MAC, or a MAC the key does not make):
-- never in the log.
CREATE TABLE log_quarantine (
    seq      bigint PRIMARY KEY,
    tbl      text NOT NULL,
    reason   text NOT NULL,
    found_at timestamptz NOT NULL DEFAULT now()
);
