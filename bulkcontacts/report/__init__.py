"""The run report: a job's state directory drawn as one self-contained HTML page."""
