-- Constraints on existing tables, with and without NOT VALID.
alter table orders add constraint orders_user_fk foreign key (user_id) references users (id);
alter table orders add constraint orders_user_fk2 foreign key (user_id) references users (id) not valid;
alter table orders validate constraint orders_user_fk2;
alter table orders add constraint orders_total_positive check (total > 0);
alter table orders add constraint orders_total_check2 check (total < 1000000) not valid;
alter table users add constraint users_email_key unique (email);
alter table users add constraint users_email_key2 unique using index users_email_idx;
alter table items add primary key (id);
alter table items add constraint items_pkey primary key using index items_id_idx;
alter table users add column org_id bigint references orgs (id);
alter table users alter column email set not null;
alter table users alter column email drop not null;
alter table rooms add constraint no_overlap exclude using gist (during with &&);
create table invoices (id bigint primary key, user_id bigint references users (id), total numeric check (total >= 0));
alter table invoices add constraint invoices_total_check check (total < 10);
create domain us_zip as text check (value ~ '^\d{5}$');
create domain plain_label as text;
alter domain plain_label add constraint label_len check (length(value) < 50);
alter table users
  add constraint users_age_check check (age >= 0),
  add constraint users_org_fk foreign key (org_id) references orgs (id) not valid;
