"""OpenAPI 3.1 for typed views: the document, and the docs page that shows it."""
