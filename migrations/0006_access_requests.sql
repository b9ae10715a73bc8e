-- meshca ledger, version 6: just-in-time access (issue #17).
--
-- access_requests: a request for a role that needs approval (kind
-- 'approval'), or a break-glass use (kind 'break_glass', issued at once).
-- access_decisions: an approver's approve / deny of a request, or the
-- acknowledgement of a break-glass use.  Both are ledger tables: every row
-- carries its canonical entry and MAC, is stamped with its transaction id and
-- joins the transparency log (log types 5 and 6), and they are append-only.
--
-- A request's state is derived from these rows and the certificates table
-- (see README "Just-in-time access"): a collected request is a certificate
-- whose key id ends in "/ar-" and the request id, and the unique index below
-- makes a request collectable at most once, whatever the concurrency.
--
-- webhook_deliveries is operational state, not ledger: the notification
-- queue that meshcad's delivery thread works through (retried with backoff,
-- kept across restarts).  Every event derives from one ledger record
-- (record_seq), so the ledger is the outbox: an event whose immediate
-- enqueue was missed (meshcad died after the commit, the database went away)
-- is queued later by the delivery thread's sweep, which reads the records
-- after its cursor in webhook_sweep; the unique key makes the two paths
-- queue each (webhook, event, record) once.

CREATE TABLE access_requests (
    seq              bigint PRIMARY KEY DEFAULT pg_catalog.nextval('public.ledger_seq'),
    id               text NOT NULL UNIQUE CHECK (id ~ '^[0-9a-f]{32}$'),
    kind             text NOT NULL CHECK (kind IN ('approval', 'break_glass')),
    subject          text NOT NULL,
    issuer           text NOT NULL,
    email            text,
    role             text NOT NULL,
    principals       text[] NOT NULL CHECK (cardinality(principals) BETWEEN 1 AND 256),
    ttl_seconds      bigint NOT NULL CHECK (ttl_seconds > 0),
    reason           text NOT NULL,
    public_key       text NOT NULL,
    key_fingerprint  text NOT NULL,
    min_approvals    integer NOT NULL CHECK (min_approvals >= 0),
    expires_at       timestamptz NOT NULL,
    client_address   text NOT NULL,
    request_id       text NOT NULL,
    policy_version   text NOT NULL,
    created_at       timestamptz NOT NULL,
    entry            bytea,
    mac              bytea,
    xid              xid8
);
CREATE INDEX access_requests_created_at ON access_requests (created_at);
CREATE INDEX access_requests_subject ON access_requests (issuer, subject);

CREATE TABLE access_decisions (
    seq              bigint PRIMARY KEY DEFAULT pg_catalog.nextval('public.ledger_seq'),
    access_request   text NOT NULL REFERENCES access_requests (id),
    decision         text NOT NULL CHECK (decision IN ('approve', 'deny', 'acknowledge')),
    subject          text NOT NULL,
    issuer           text NOT NULL,
    email            text,
    reason           text,
    client_address   text NOT NULL,
    request_id       text NOT NULL,
    policy_version   text NOT NULL,
    created_at       timestamptz NOT NULL,
    entry            bytea,
    mac              bytea,
    xid              xid8
);
-- One decision of each kind per person and request: approvals are counted
-- by distinct approvers.
CREATE UNIQUE INDEX access_decisions_once ON access_decisions
    (access_request, decision, issuer, subject);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['access_requests', 'access_decisions'] LOOP
        EXECUTE format('CREATE INDEX %I ON public.%I (xid, seq)', t || '_xid', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON public.%I FOR EACH ROW EXECUTE FUNCTION public.ledger_stamp()', t || '_stamp', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON public.%I FOR EACH ROW EXECUTE FUNCTION public.ledger_append_only()', t || '_append_only', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON public.%I FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_append_only()', t || '_no_truncate', t);
    END LOOP;
END $$;

-- A request is collected at most once: the certificate's key id names it.
CREATE UNIQUE INDEX certificates_access_collect ON certificates
    ((substring(key_id FROM '/ar-([0-9a-f]{32})$')))
    WHERE key_id ~ '/ar-[0-9a-f]{32}$';

-- Notifications (operational, not ledger): one row per webhook and event.
CREATE TABLE webhook_deliveries (
    id            bigserial PRIMARY KEY,
    hook          text NOT NULL,         -- the webhook's URL
    event         text NOT NULL,
    body          text NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    next_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz,
    failed_at     timestamptz,           -- gave up
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    record_seq    bigint,                -- the ledger record of the event
    UNIQUE (hook, event, record_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

-- The sweep's cursor per webhook: records after (xid, seq) (in the
-- transparency log's order: only transactions below the snapshot's xmin)
-- are still to be looked at.  A webhook's cursor starts where meshcad first
-- swept with it configured, so adding a webhook does not replay history.
CREATE TABLE webhook_sweep (
    hook  text PRIMARY KEY,
    xid   xid8 NOT NULL,
    seq   bigint NOT NULL
);
