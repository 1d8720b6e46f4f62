"""Apps that tests/test_real_servers.py serves with gunicorn, uvicorn and hypercorn."""
