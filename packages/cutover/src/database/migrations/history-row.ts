/** One row of `cutover.migrations`, as the runner reads it. */
export interface HistoryRow {
  id: string;
  name: string;
  checksum: string;
  kind: 'expand' | 'contract';
  /** `applied`; `failed` after an error; `running` while a run is under way or after it crashed. */
  status: 'applied' | 'failed' | 'running';
  /** Transaction units already committed (a failed run resumes after them). */
  unitsDone: number;
  startedAt: string;
  appliedAt: string | null;
  durationMs: number | null;
  appliedBy: string;
  error: string | null;
  /** 1-based line of the statement that failed, in the migration file. */
  failedLine: number | null;
  repairedReason: string | null;
  repairedAt: string | null;
}
