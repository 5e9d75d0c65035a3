"""Rendering: the Jinja2 engine over the owner's templates, the views templates see, sample data."""
