"""Documents made from the code: the settings reference, the OpenAPI document, the
environments' fixed costs and their consistency report."""
