/** Column types ingest infers, narrowest first. A column's type is the narrowest every non-empty value fits. */
export type ColumnType = 'integer' | 'decimal' | 'boolean' | 'date' | 'timestamp' | 'text';
