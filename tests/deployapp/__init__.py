"""The app that docs/deploying.md's commands serve in test_deploy.py."""
