/** Error codes of canary analysis and metric providers: CUT_ERR_ANALYSIS_*. */
export const ANALYSIS_ERRORS = {} as const;
