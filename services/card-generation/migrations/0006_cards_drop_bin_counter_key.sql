-- Drops UNIQUE (bin, counter): each card pays for one more B-tree entry (about a tenth of what a
-- bulk job costs PostgreSQL), and the guard it gave is already there twice over. A PAN is
-- BIN || FF1(counter) || Luhn, so two rows of one (bin, counter) whose PANs are the ones their
-- counters construct have the same PAN, which UNIQUE (pan_hash) refuses; a row whose PAN is not
-- the one its counter constructs is what `validate:uniqueness` reports (not-constructed). A chunk
-- written twice is stopped before its COPY by the primary key of bulk_job_chunks.
-- Readers that ordered by (bin, counter) read in physical order now (validate:uniqueness uses one COPY).

-- migrate:up
ALTER TABLE cards DROP CONSTRAINT IF EXISTS cards_bin_counter_key;

-- migrate:down
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS cards_bin_counter_key ON cards (bin, counter);
