export const DATABASE_ERRORS = {} as const;
