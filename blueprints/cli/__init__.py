"""``flask --app wsgi …`` commands, one module per command group."""
