/** Error codes of backups, pre-deploy checks, validation and accessories: CUT_ERR_BACKUP_*, CUT_ERR_CHECK_*, CUT_ERR_ACCESSORY_*. */
export const CHECK_ERRORS = {} as const;
