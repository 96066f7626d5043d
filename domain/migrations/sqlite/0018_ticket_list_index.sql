-- `GET /tickets` pages by id within the caller's scope (group, customer, organisation): this
-- narrow index holds exactly those columns in id order, so a deep page walks index entries
-- instead of whole ticket rows, and only the page's rows are read.
CREATE INDEX tickets_list ON tickets (id, group_id, customer_id, organization_id);
