"""ETL: PostgreSQL → Arrow → DuckDB work file → marts → checks → atomic publish of the serving warehouse.

Pages call :func:`etl.status.warehouse_freshness` for "data as of …".
"""
