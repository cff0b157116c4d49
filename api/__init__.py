"""The REST API (FastAPI) over the crm services and the analytics functions: `uvicorn api.main:app`."""
