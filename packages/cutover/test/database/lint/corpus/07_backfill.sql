-- Data changes mixed with schema changes.
alter table orders add column status text;
update orders set status = 'open' where status is null;
delete from orders where total is null;
insert into order_archive select * from orders where created_at < now() - interval '1 year';
create table order_notes (id bigint primary key, order_id bigint, note text);
insert into order_notes values (1, 1, 'hello');
