-- The guide's performance indexes, built without blocking writes: each CREATE INDEX CONCURRENTLY
-- runs on its own (the runner takes it out of any transaction, drops an invalid leftover of the
-- same name first and checks the build is valid). The audit_events ones are in 0003 (a partitioned
-- table cannot be indexed concurrently).

-- migrate:up
CREATE INDEX CONCURRENTLY idx_vendor_serials_part_id ON vendor_serials (part_id);
CREATE INDEX CONCURRENTLY idx_vendor_serials_serial_number ON vendor_serials (serial_number);
CREATE INDEX CONCURRENTLY idx_vendor_serials_status ON vendor_serials (status);
CREATE INDEX CONCURRENTLY idx_vendor_serials_created_at ON vendor_serials (created_at DESC);
CREATE INDEX CONCURRENTLY idx_vendor_serials_part_status ON vendor_serials (part_id, status);

CREATE INDEX CONCURRENTLY idx_system_generated_serials_part_id ON system_generated_serials (part_id);
CREATE INDEX CONCURRENTLY idx_system_generated_serials_serial_number ON system_generated_serials (serial_number);
CREATE INDEX CONCURRENTLY idx_system_generated_serials_created_at ON system_generated_serials (created_at DESC);

CREATE INDEX CONCURRENTLY idx_late_assignment_placeholders_part_id ON late_assignment_placeholders (part_id);
CREATE INDEX CONCURRENTLY idx_late_assignment_placeholders_status ON late_assignment_placeholders (status);
CREATE INDEX CONCURRENTLY idx_late_assignment_placeholders_created_at ON late_assignment_placeholders (created_at DESC);

CREATE INDEX CONCURRENTLY idx_serial_propagations_serial_id ON serial_propagations (serial_id);
CREATE INDEX CONCURRENTLY idx_serial_propagations_parent_serial_id ON serial_propagations (parent_serial_id);
CREATE INDEX CONCURRENTLY idx_serial_propagations_child_serial_id ON serial_propagations (child_serial_id);

CREATE INDEX CONCURRENTLY idx_serial_uniqueness_checks_serial_number ON serial_uniqueness_checks (serial_number);
CREATE INDEX CONCURRENTLY idx_serial_uniqueness_checks_part_id ON serial_uniqueness_checks (part_id);
CREATE INDEX CONCURRENTLY idx_serial_uniqueness_checks_scope ON serial_uniqueness_checks (scope);
CREATE INDEX CONCURRENTLY idx_serial_uniqueness_checks_status ON serial_uniqueness_checks (status);

-- migrate:down
DROP INDEX CONCURRENTLY IF EXISTS idx_serial_uniqueness_checks_status;
DROP INDEX CONCURRENTLY IF EXISTS idx_serial_uniqueness_checks_scope;
DROP INDEX CONCURRENTLY IF EXISTS idx_serial_uniqueness_checks_part_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_serial_uniqueness_checks_serial_number;
DROP INDEX CONCURRENTLY IF EXISTS idx_serial_propagations_child_serial_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_serial_propagations_parent_serial_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_serial_propagations_serial_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_late_assignment_placeholders_created_at;
DROP INDEX CONCURRENTLY IF EXISTS idx_late_assignment_placeholders_status;
DROP INDEX CONCURRENTLY IF EXISTS idx_late_assignment_placeholders_part_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_system_generated_serials_created_at;
DROP INDEX CONCURRENTLY IF EXISTS idx_system_generated_serials_serial_number;
DROP INDEX CONCURRENTLY IF EXISTS idx_system_generated_serials_part_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_vendor_serials_part_status;
DROP INDEX CONCURRENTLY IF EXISTS idx_vendor_serials_created_at;
DROP INDEX CONCURRENTLY IF EXISTS idx_vendor_serials_status;
DROP INDEX CONCURRENTLY IF EXISTS idx_vendor_serials_serial_number;
DROP INDEX CONCURRENTLY IF EXISTS idx_vendor_serials_part_id;
