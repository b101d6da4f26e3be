"""The built-in Jinja2 templates (package data); a workspace's templates/ overrides them."""
