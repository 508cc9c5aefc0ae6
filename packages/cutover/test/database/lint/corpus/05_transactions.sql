-- Explicit transaction control inside a migration.
begin;
create index concurrently tx_idx on users (name);
alter table users add column in_tx text;
commit;
begin;
update users set in_tx = 'x';
