-- Index builds, drops and rebuilds on existing tables.
create index users_email_idx on users (email);
CREATE UNIQUE INDEX users_handle_key ON public.users USING btree (lower(handle));
create index concurrently users_created_idx on users (created_at);
create index concurrently if not exists orders_user_idx on orders (user_id) where deleted_at is null;
create index orders_multi_idx on orders (a, b, c, d, e);
drop index users_email_idx;
drop index if exists public.users_handle_key, orders_multi_idx;
drop index concurrently if exists users_created_idx;
reindex index users_email_idx;
reindex table orders;
reindex index concurrently orders_user_idx;
create table fresh (id bigint generated always as identity primary key, name text);
create index fresh_name_idx on fresh (name);
create index "Quoted Index" on "Weird Table" ("Some Column");
