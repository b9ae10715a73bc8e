-- Whether a revocation named something this CA had issued (issue #13): a
-- serial or key id no certificate ever carried is refused with 404 unless
-- the request says "force": true, and such a row says known = false.
-- Set by the database at insert time, from the certificates table, so it
-- is the ledger's truth rather than the caller's; NULL on rows written
-- before this migration.  The trigger's name sorts before the chain
-- trigger's, so the chain hash covers the value.
ALTER TABLE revocations ADD COLUMN known boolean;

CREATE FUNCTION revocation_known() RETURNS trigger
LANGUAGE plpgsql SET search_path = public AS $$
BEGIN
    NEW.known := CASE NEW.kind
        WHEN 'serial' THEN EXISTS (SELECT 1 FROM certificates c WHERE c.serial =
            CASE WHEN NEW.value ~ '^[0-9]{1,19}$'
                  AND NEW.value::numeric <= 9223372036854775807
                 THEN NEW.value::bigint END)
        WHEN 'key_id' THEN EXISTS (SELECT 1 FROM certificates c WHERE c.key_id = NEW.value)
        WHEN 'subject' THEN EXISTS (SELECT 1 FROM certificates c WHERE c.subject = NEW.value)
        WHEN 'key_fingerprint' THEN EXISTS (SELECT 1 FROM certificates c
                                             WHERE c.key_fingerprint = NEW.value)
    END;
    RETURN NEW;
END $$;

CREATE TRIGGER revocations_0_known BEFORE INSERT ON revocations
    FOR EACH ROW EXECUTE FUNCTION revocation_known();
