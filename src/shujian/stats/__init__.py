"""一本账: supervision statistics per model, org (rolled up), 业务条线 and period."""
