"""The genie_repo benchmark: hot paths against raw drivers and LangGraph (`python -m bench`)."""
