"""Code shared by the handlers, packaged into each function as the `common` package."""
