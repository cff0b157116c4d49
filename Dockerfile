# One image for every process of the Sales System: the dashboard (default command), the REST API
# (`uvicorn api.main:app`), the ETL (`python -m etl schedule|refresh`) and migrations
# (`python -m crm migrate`). Same install and start commands as README / scripts/run.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data \
    WAREHOUSE_PATH=/data/warehouse.duckdb \
    MODEL_DIR=/data/models \
    METRICS_PORT=9464

WORKDIR /app

COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

RUN groupadd --system --gid 10001 sales \
    && useradd --system --uid 10001 --gid sales --home-dir /app --shell /usr/sbin/nologin sales \
    && mkdir -p /data/models \
    && chown -R sales:sales /data

COPY --chown=sales:sales . .

USER 10001
VOLUME ["/data"]
EXPOSE 8501 8000 9464

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]

CMD ["streamlit", "run", "app.py", "--server.port", "8501", "--server.address", "0.0.0.0", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
