"""Flask applications with their own tests, run by scripts/flask_examples.

They import flask; erlen's own test run leaves them alone
(tests/test_flask_examples.py runs them through the script).
"""

collect_ignore_glob = ["*"]
