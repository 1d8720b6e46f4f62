"""The app that tests/test_hostile.py serves with real servers and sends bad bytes to."""
