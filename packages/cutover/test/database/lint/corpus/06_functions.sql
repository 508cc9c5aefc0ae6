-- Functions, triggers and views: bodies must not be mistaken for statements.
create or replace function touch_updated_at() returns trigger language plpgsql as $$
begin
  new.updated_at := now(); -- drop table users; inside a body
  return new;
end;
$$;
create trigger users_touch before update on users for each row execute function touch_updated_at();
create function add_one(a integer) returns integer language sql immutable begin atomic
  select a + 1;
end;
create or replace view active_users as select * from users where deleted_at is null;
comment on table users is 'people; with a semicolon';
create table logs (id bigserial primary key, at timestamp, body text, level varchar(10));
insert into logs (body) values ('alter table users drop column email;');
create table "CamelCase" ("Id" integer primary key, "CreatedAt" timestamp);
create table this_is_a_very_long_table_name_that_goes_on_and_on_past_the_limit_x (id bigint primary key);
