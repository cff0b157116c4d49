"""Read-side pure functions over the serving warehouse: metrics, ML models, forecasts."""
