/** One row of analytics.metrics, before the ids are attached. */
export interface MetricRow {
  /** null for file-level metrics. */
  columnName: string | null;
  columnIndex: number | null;
  metricType: string;
  numericValue: number | null;
  textValue: string | null;
}
