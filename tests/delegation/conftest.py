from tests.workflow.conftest import clock, pension_model, people  # noqa: F401  (shared fixtures)
