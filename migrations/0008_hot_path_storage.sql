-- meshca ledger, version 8: no compression attempt on the issuance path
-- (issue #15).
--
-- A certificate row is about 2.5 kB (the certificate's text and the
-- canonical entry that holds it again), just over the 2 kB at which
-- PostgreSQL hands a row to its TOAST code, which then tries to compress
-- the widest values with pglz before it stores the row as it was: base64
-- and signatures do not compress.  perf showed pglz_compress at about a
-- tenth of PostgreSQL's CPU per certificate.  With toast_tuple_target at
-- its maximum, rows up to a page are stored inline without that attempt;
-- larger rows (very long principal lists) are still moved out of line.
-- Host certificates carry the same columns.  Storage parameters only: no
-- row is rewritten and no ledger value changes.
ALTER TABLE certificates SET (toast_tuple_target = 8160);
ALTER TABLE host_certificates SET (toast_tuple_target = 8160);
