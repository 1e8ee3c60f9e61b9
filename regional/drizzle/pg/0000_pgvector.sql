-- pgvector must exist before the chunks table's vector column (install: .ci/run, postgresql-15-pgvector).
CREATE EXTENSION IF NOT EXISTS vector;
