/** Error codes of canary analysis and metric providers: CUT_ERR_ANALYSIS_*. */
export const ANALYSIS_ERRORS = {
  CUT_ERR_ANALYSIS_INVALID: {
    exitCode: 2,
    title: 'An analysis definition is invalid (a metric without conditions, an unknown placeholder, a bad threshold).',
  },
  CUT_ERR_ANALYSIS_PROVIDER_UNAVAILABLE: {
    exitCode: 2,
    title: 'A metric uses a provider this analysis run was not given (e.g. proxy metrics with no agent).',
  },
  CUT_ERR_ANALYSIS_BAD_TARGET: {
    exitCode: 2,
    title:
      'The release, baseline release or service given to an analysis is missing or unusable (e.g. the baseline is the release itself).',
  },
} as const;
