/** The tables of the guide's "Verify Database Schema" step. */
export const GUIDE_TABLES = [
  'vendor_serials',
  'system_generated_serials',
  'late_assignment_placeholders',
  'serial_propagations',
  'serial_uniqueness_checks',
  'serial_assignment_triggers',
  'audit_events',
];

/** The indexes of the guide's "Create Indexes for Performance" step. */
export const GUIDE_INDEXES = [
  'idx_vendor_serials_part_id',
  'idx_vendor_serials_serial_number',
  'idx_vendor_serials_status',
  'idx_vendor_serials_created_at',
  'idx_system_generated_serials_part_id',
  'idx_system_generated_serials_serial_number',
  'idx_system_generated_serials_created_at',
  'idx_late_assignment_placeholders_part_id',
  'idx_late_assignment_placeholders_status',
  'idx_late_assignment_placeholders_created_at',
  'idx_serial_propagations_serial_id',
  'idx_serial_propagations_parent_serial_id',
  'idx_serial_propagations_child_serial_id',
  'idx_serial_uniqueness_checks_serial_number',
  'idx_serial_uniqueness_checks_part_id',
  'idx_serial_uniqueness_checks_scope',
  'idx_serial_uniqueness_checks_status',
  'idx_audit_events_serial_number',
  'idx_audit_events_event_type',
  'idx_audit_events_performed_at',
  'idx_audit_events_performed_by',
  'idx_vendor_serials_part_status',
  'idx_audit_events_type_time',
];
